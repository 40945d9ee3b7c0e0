import { type ComparisonResult, MAX_COMPARE_ELEMENTS } from "./comparison-result.ts";

// OCR outputs are compared on what a customer reads: the text of each line, after
// normalisation, must be identical, and each line's box must sit within a few pixels of the
// checker's. Exact text is the right bar: the recogniser's CTC decoding takes an argmax per
// step, so honest hardware differences almost never change a character, while a cheaper
// model or a made-up answer does. Confidence is not compared (it is a float summary that
// varies in the last digits and carries no claim about the text).

export interface OcrLineLike {
  text: string;
  /** Polygon corners in image pixels (PP-OCR: top-left, top-right, bottom-right, bottom-left). */
  box: readonly (readonly [number, number])[];
}

/** 3 px: detection boxes come from a thresholded probability map that honest hardware can
 * shift by a pixel at an edge, plus rounding when mapped back to the original image. */
export const DEFAULT_OCR_BOX_TOLERANCE_PX = 3;
/** PP-OCR output is capped well below this; a bound keeps pairing (O(n²)) cheap. */
export const MAX_OCR_LINES = 2_000;

export type OcrComparisonReason = "ok" | "too_large" | "invalid_box" | "line_count_mismatch" | "box_out_of_tolerance" | "text_mismatch";

export interface OcrComparisonMetrics {
  expectedLines: number;
  actualLines: number;
  /** Expected lines paired with an actual line whose box is within tolerance. */
  pairedLines: number;
  /** Paired lines whose normalised texts differ. */
  textMismatches: number;
  /** Largest corner deviation (max of |dx|, |dy|) among paired lines, px. */
  maxBoxDeviationPx: number;
}

/** NFKC (full-width and compatibility forms fold to their plain spelling), trim, and every
 * run of whitespace to one space. */
export function normalizeOcrText(text: string): string {
  return text.normalize("NFKC").trim().replace(/\s+/gu, " ");
}

/** Largest per-corner deviation between two boxes, px; Infinity if their corner counts differ. */
export function boxDeviationPx(a: OcrLineLike["box"], b: OcrLineLike["box"]): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let deviation = 0;
  for (let i = 0; i < a.length; i++) {
    const p = a[i];
    const q = b[i];
    if (!p || !q) return Number.POSITIVE_INFINITY;
    deviation = Math.max(deviation, Math.abs(p[0] - q[0]), Math.abs(p[1] - q[1]));
  }
  return deviation;
}

/**
 * Pairs each expected line with the nearest unpaired actual line (by box deviation, within
 * tolerance), rather than by position in the list: two lines at almost the same height can
 * swap places in reading order on different hardware without either being wrong.
 */
export function compareOcr(options: {
  expected: readonly OcrLineLike[];
  actual: readonly OcrLineLike[];
  boxTolerancePx?: number;
}): ComparisonResult<OcrComparisonReason, OcrComparisonMetrics> {
  const { expected, actual } = options;
  const tolerance = options.boxTolerancePx ?? DEFAULT_OCR_BOX_TOLERANCE_PX;
  if (!(Number.isFinite(tolerance) && tolerance >= 0)) throw new RangeError(`boxTolerancePx must be finite and ≥ 0, got ${tolerance}`);
  const metrics: OcrComparisonMetrics = {
    expectedLines: expected.length,
    actualLines: actual.length,
    pairedLines: 0,
    textMismatches: 0,
    maxBoxDeviationPx: 0,
  };
  if (expected.length > MAX_OCR_LINES || actual.length > MAX_OCR_LINES || expected.length * actual.length > MAX_COMPARE_ELEMENTS) {
    return { match: false, reason: "too_large", metrics };
  }
  if (![...expected, ...actual].every((line) => validBox(line.box))) return { match: false, reason: "invalid_box", metrics };

  const paired = new Array<boolean>(actual.length).fill(false);
  let unpairedExpected = 0;
  for (const line of expected) {
    let best = -1;
    let bestDeviation = Number.POSITIVE_INFINITY;
    actual.forEach((candidate, index) => {
      if (paired[index]) return;
      const deviation = boxDeviationPx(line.box, candidate.box);
      if (deviation < bestDeviation) {
        best = index;
        bestDeviation = deviation;
      }
    });
    const match = actual[best];
    if (match === undefined || bestDeviation > tolerance) {
      unpairedExpected++;
      continue;
    }
    paired[best] = true;
    metrics.pairedLines++;
    metrics.maxBoxDeviationPx = Math.max(metrics.maxBoxDeviationPx, bestDeviation);
    if (normalizeOcrText(line.text) !== normalizeOcrText(match.text)) metrics.textMismatches++;
  }
  if (expected.length !== actual.length) return { match: false, reason: "line_count_mismatch", metrics };
  if (unpairedExpected > 0) return { match: false, reason: "box_out_of_tolerance", metrics };
  if (metrics.textMismatches > 0) return { match: false, reason: "text_mismatch", metrics };
  return { match: true, reason: "ok", metrics };
}

function validBox(box: OcrLineLike["box"]): boolean {
  return box.length > 0 && box.length <= 64 && box.every((p) => p.length === 2 && Number.isFinite(p[0]) && Number.isFinite(p[1]));
}
