/**
 * How far one input's shape is from another's (issue 12): challenges replay a donated input
 * whose shape is nearest a customer job's, so the challenges' mix of forms, formats, sizes
 * and lengths follows the customers' and not the donors'. Infinity across forms (a `text`
 * never stands in for `texts`, a PNG never for a JPEG): an input kind the traffic did not
 * send would be a tell on its own.
 */
import type { InputShape } from "./measure-input.ts";

/** Relative difference of two sizes, symmetric: |ln(a/b)|, 0 for equal sizes. */
const logRatio = (a: number, b: number) => Math.abs(Math.log(Math.max(a, 1e-9) / Math.max(b, 1e-9)));

export function shapeDistance(a: InputShape, b: InputShape): number {
  if (a.kind === "embedding" && b.kind === "embedding") {
    if (a.form !== b.form) return Number.POSITIVE_INFINITY;
    const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
    // A batch of another size weighs like a length twice as long.
    return Math.abs(a.lengths.length - b.lengths.length) * Math.LN2 + logRatio(sum(a.lengths) + 1, sum(b.lengths) + 1);
  }
  if (a.kind === "ocr" && b.kind === "ocr") {
    if (a.format !== b.format || a.hasAlpha !== b.hasAlpha) return Number.POSITIVE_INFINITY;
    return (
      logRatio(a.width * a.height, b.width * b.height) +
      logRatio(a.width / a.height, b.width / b.height) +
      Math.abs(a.lines.length - b.lines.length) * 0.1
    );
  }
  if (a.kind === "vad" && b.kind === "vad")
    return logRatio(a.durationSec, b.durationSec) + Math.abs(a.speech.length - b.speech.length) * 0.1;
  return Number.POSITIVE_INFINITY;
}

/** The index of the candidate nearest `target`, or -1 when none shares its form. */
export function nearestShape(target: InputShape, candidates: readonly InputShape[]): number {
  let best = -1;
  let bestDistance = Number.POSITIVE_INFINITY;
  candidates.forEach((c, i) => {
    const d = shapeDistance(target, c);
    if (d < bestDistance) {
      best = i;
      bestDistance = d;
    }
  });
  return best;
}
