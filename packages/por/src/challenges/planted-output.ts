import type { OutputKind } from "../compare/compare-job-outputs.ts";
import { FP32_MAX, INT_RANGES } from "../protocol/tensor-ranges.ts";
import { createPrng } from "./prng.ts";

// A planted check shows a checker a result that is wrong on purpose, to catch a checker
// that approves without computing. The change must be clearly outside every tolerance
// (compare/compare-job-outputs) yet look like a plausible model output: a misread word, a
// shifted speech boundary, a drifted embedding — not garbage a lazy checker could spot by
// shape alone.

/** The catalog's output kinds, and `tensor`: an uploaded model's `{ outputs: [tensor, ...] }` (issue 17). */
type Kind = OutputKind | "tensor";

const LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789";

/** The output made wrong; null when this output has nothing that can be changed (an uploaded model's empty tensors). */
export function plantWrongOutput(kind: Kind, output: unknown, seed: number): unknown | null {
  const prng = createPrng(`planted-${seed >>> 0}-0000000000`);
  const copy = structuredClone(output) as Record<string, unknown>;
  switch (kind) {
    case "ocr": {
      const lines = Array.isArray(copy.lines) ? (copy.lines as { text: string }[]) : [];
      const line = lines.length > 0 ? lines[prng.int(0, lines.length - 1)] : undefined;
      if (!line || typeof line.text !== "string" || line.text.length === 0) {
        copy.lines = [
          ...lines,
          {
            text: "total 4417",
            confidence: 0.93,
            box: [
              [10, 10],
              [120, 10],
              [120, 40],
              [10, 40],
            ],
          },
        ];
        return copy;
      }
      // Replace one character with a different one: a single misread.
      const at = prng.int(0, line.text.length - 1);
      const old = line.text[at] ?? "";
      let next = old;
      while (next.toLowerCase() === old.toLowerCase()) next = LETTERS[prng.int(0, LETTERS.length - 1)] ?? "x";
      line.text = line.text.slice(0, at) + next + line.text.slice(at + 1);
      return copy;
    }
    case "vad": {
      const segments = Array.isArray(copy.segments) ? (copy.segments as { start: number; end: number }[]) : [];
      const duration = typeof copy.durationSec === "number" ? copy.durationSec : 10;
      if (segments.length === 0) {
        copy.segments = [{ start: Math.min(1, duration / 4), end: Math.min(duration, duration / 4 + 1.5) }];
        return copy;
      }
      // Move one boundary by 0.5–1 s: far beyond the boundary tolerance (16 ms, one VAD window).
      const s = segments[prng.int(0, segments.length - 1)] as { start: number; end: number };
      const shift = 0.5 + prng.nextFloat() * 0.5;
      if (s.end - s.start > shift + 0.2) s.end = Math.round((s.end - shift) * 1000) / 1000;
      else s.end = Math.round(Math.min(duration, s.end + shift) * 1000) / 1000;
      return copy;
    }
    case "tensor":
      return plantWrongTensors(copy, prng);
    case "embedding": {
      const vectors = Array.isArray(copy.vectors) ? (copy.vectors as number[][]) : [];
      // Drift every vector by noise of 20 % of its norm: cosine ≈ 0.98, well under tolerance.
      copy.vectors = vectors.map((v) => {
        const norm = Math.sqrt(v.reduce((a, x) => a + x * x, 0)) || 1;
        const scale = (0.2 * norm) / Math.sqrt(v.length || 1);
        return v.map((x) => x + (prng.nextFloat() * 2 - 1) * scale * Math.sqrt(3));
      });
      return copy;
    }
  }
}

/** Every row of the last axis sums to 1 (within float32 rounding): probabilities, a softmax's output. */
function isRowStochastic(data: readonly number[], width: number): boolean {
  if (width < 2 || data.length === 0 || data.length % width !== 0) return false;
  for (let r = 0; r < data.length; r += width) {
    let sum = 0;
    for (let j = r; j < r + width; j++) sum += data[j] as number;
    if (Math.abs(sum - 1) > 1e-4) return false;
  }
  return true;
}

/**
 * Drifts a float tensor in place: `n` distinct elements among `candidates` (a partial
 * Fisher–Yates draw: drawn with replacement, one element grown and then shrunk came back
 * within the tolerance) each scaled by exactly 1 ± (10–20 %). When the tensor's rows are
 * probabilities, each row still sums to 1: the row's elements that were not drawn share
 * the drawn ones' change in proportion to their mass (so a zero stays zero and a value
 * stays in [0, 1]), and a drawn element grows only as far as they can give. The drawn
 * elements are written last, at their exact drifted values, so the compensation of one
 * can never carry another back inside the tolerance.
 */
function driftFloats(t: TensorLike, data: number[], candidates: number[], prng: ReturnType<typeof createPrng>): void {
  const unit = data.every((v) => v >= 0 && v <= 1);
  const shape = Array.isArray(t.shape) ? (t.shape as number[]) : [];
  const width = shape.length > 0 ? (shape[shape.length - 1] as number) : data.length;
  const rows = unit && isRowStochastic(data, width);
  const round = (x: number) => (t.datatype === "FP32" ? Math.fround(x) : x);
  const n = Math.max(1, Math.round(candidates.length / 10));
  for (let k = 0; k < n; k++) {
    const j = prng.int(k, candidates.length - 1);
    [candidates[k], candidates[j]] = [candidates[j] as number, candidates[k] as number];
  }
  const drawn = candidates.slice(0, n);
  const isDrawn = new Set(drawn);
  const rowOf = (i: number) => Math.floor(i / width) * width;
  // Per row touched: the mass of its elements not drawn (what can give or take), and what is left of it.
  const rest = new Map<number, { mass: number; left: number }>();
  if (rows)
    for (const i of drawn) {
      const start = rowOf(i);
      if (rest.has(start)) continue;
      let mass = 0;
      for (let j = start; j < start + width; j++) if (!isDrawn.has(j)) mass += data[j] as number;
      rest.set(start, { mass, left: mass });
    }
  const drifted = new Map<number, number>();
  for (const i of drawn) {
    const v = data[i] as number;
    const factor = 0.1 + prng.nextFloat() * 0.1;
    const row = rest.get(rowOf(i));
    let grow = prng.nextFloat() < 0.5;
    if ((unit && v * (1 + factor) > 1) || Math.abs(v) * (1 + factor) > FP32_MAX) grow = false;
    // The rest of a probability row gives what this one gains: no more than it holds.
    if (row && v * factor > row.left) grow = false;
    const next = round(v * (grow ? 1 + factor : 1 - factor));
    if (row) row.left -= next - v;
    drifted.set(i, next);
  }
  for (const [start, row] of rest) {
    if (row.mass <= 0) continue; // every other element is drawn or zero: the row cannot keep its sum
    // Each one's share of the rest (≤ 1) times what is left: no Infinity when the rest's mass is a subnormal.
    for (let j = start; j < start + width; j++)
      if (!isDrawn.has(j)) data[j] = round(Math.min(1, Math.max(0, ((data[j] as number) / row.mass) * row.left)));
  }
  for (const [i, v] of drifted) data[i] = v;
}

interface TensorLike {
  name?: unknown;
  datatype?: unknown;
  shape?: unknown;
  data?: unknown;
}

/**
 * An uploaded model's outputs, wrong the way a cheaper model would be wrong, in the form and
 * range of the real ones: a float output's elements of magnitude at least 0.02 (a tenth of
 * them, at least one, each at most once) scaled by 1 ± (10–20 %) — beyond both tolerances of the comparison
 * (atol 1e-3 + rtol 1e-2·|b| < 0.1·|b| there) — keeping their sign, so a ReLU or a
 * probability stays non-negative, and towards 0 when growing would leave [0, 1] for an
 * output that lies in it or overflow float32 (rows of probabilities still sum to 1:
 * driftFloats); else an integer output's element moved by one
 * within the tensor's own range (an argmax off by one class); else a boolean flipped. The
 * output that is changed is drawn among those that can be, so a checker cannot compare only
 * the first. Null when no element can be changed (every output empty or near zero): the job
 * is not planted, rather than planted with a "wrong" output equal to the right one.
 */
function plantWrongTensors(copy: Record<string, unknown>, prng: ReturnType<typeof createPrng>): unknown | null {
  const outputs = Array.isArray(copy.outputs) ? (copy.outputs as TensorLike[]) : [];
  const values = (t: TensorLike) => (Array.isArray(t.data) ? (t.data as unknown[]) : []);
  const isFloat = (t: TensorLike) => t.datatype === "FP32" || t.datatype === "FP64";
  const big = (t: TensorLike) => values(t).flatMap((v, i) => (typeof v === "number" && Math.abs(v) >= 0.02 ? [i] : []));
  const floats = outputs.filter((t) => isFloat(t) && big(t).length > 0);
  const others = outputs.filter((t) => !isFloat(t) && values(t).length > 0);
  const pool = floats.length > 0 ? floats : others;
  const t = pool.length > 0 ? pool[prng.int(0, pool.length - 1)] : undefined;
  if (!t) return null;
  const data = t.data as (number | boolean)[];
  if (isFloat(t)) {
    driftFloats(t, data as number[], big(t), prng);
    return copy;
  }
  const i = prng.int(0, data.length - 1);
  if (t.datatype === "BOOL") {
    data[i] = !data[i];
    return copy;
  }
  const ints = data as number[];
  const [typeLo, typeHi] = INT_RANGES[String(t.datatype)] ?? [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
  let lo = ints[0] as number;
  let hi = lo;
  for (const v of ints) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  // Within the values the tensor holds when it holds several (a class id stays a class id).
  if (lo === hi) [lo, hi] = [typeLo, typeHi];
  const v = ints[i] as number;
  ints[i] = v + 1 <= hi ? v + 1 : Math.max(lo, v - 1);
  return copy;
}
