import { type ComparisonResult, MAX_COMPARE_ELEMENTS } from "./comparison-result.ts";

// Float outputs (embeddings, logits, raw tensors) differ across CPUs, GPUs, thread counts and
// onnxruntime execution providers in the last bits, so they are compared with tolerances.
// Two tests, both required:
// - elementwise |actual − expected| ≤ atol + rtol·|expected| (numpy.allclose), which catches a
//   few wrong values;
// - cosine(actual, expected) ≥ minCosine, which catches a whole vector that is slightly off in
//   the same direction everywhere (e.g. computed by a smaller, cheaper model) even when each
//   element is within atol.
// Defaults: fp32 rounding noise between kernels is on the order of 1e-6 relative per
// operation and grows with depth; atol 1e-4 / rtol 1e-3 leave headroom for that, while 0.999
// cosine is meant to catch a quantised or substitute model. They are starting points, not
// measurements: checkers record `metrics`, and the thresholds should be tuned from them.

export interface FloatTolerance {
  atol: number;
  rtol: number;
  minCosine: number;
}

export const DEFAULT_FLOAT_TOLERANCE: FloatTolerance = { atol: 1e-4, rtol: 1e-3, minCosine: 0.999 };

export type FloatComparisonReason =
  | "ok"
  | "shape_mismatch"
  | "length_mismatch"
  | "too_large"
  | "non_finite"
  | "elementwise_out_of_tolerance"
  | "cosine_below_threshold";

export interface FloatComparisonMetrics {
  length: number;
  /** Elements outside atol + rtol·|expected|. */
  mismatched: number;
  maxAbsDiff: number;
  /** max |actual − expected| / |expected| over elements with expected ≠ 0. */
  maxRelDiff: number;
  /** In [−1, 1]; 1 for two all-zero vectors. */
  cosine: number;
}

export interface CompareFloatTensorsOptions {
  expected: ArrayLike<number>;
  actual: ArrayLike<number>;
  /** Dimensions, compared when both are given. */
  expectedDims?: readonly number[];
  actualDims?: readonly number[];
  tolerance?: Partial<FloatTolerance>;
}

export function compareFloatTensors(options: CompareFloatTensorsOptions): ComparisonResult<FloatComparisonReason, FloatComparisonMetrics> {
  const { expected, actual } = options;
  const tolerance = { ...DEFAULT_FLOAT_TOLERANCE, ...options.tolerance };
  assertTolerance(tolerance);
  const metrics: FloatComparisonMetrics = { length: expected.length, mismatched: 0, maxAbsDiff: 0, maxRelDiff: 0, cosine: 1 };
  const fail = (reason: FloatComparisonReason) => ({ match: false, reason, metrics });
  if (options.expectedDims && options.actualDims && !sameDims(options.expectedDims, options.actualDims)) return fail("shape_mismatch");
  if (expected.length !== actual.length) return fail("length_mismatch");
  if (expected.length > MAX_COMPARE_ELEMENTS) return fail("too_large");

  // Scale by the largest magnitude first so squaring cannot overflow (values near 1e200).
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i] as number;
    const a = actual[i] as number;
    if (!Number.isFinite(e) || !Number.isFinite(a)) {
      // The same non-finite value on both sides (a masked logit of −Infinity) is agreement.
      if (Object.is(e, a)) continue;
      return fail("non_finite");
    }
    scale = Math.max(scale, Math.abs(e), Math.abs(a));
  }

  let dot = 0;
  let normE = 0;
  let normA = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i] as number;
    const a = actual[i] as number;
    if (!Number.isFinite(e)) continue;
    const diff = Math.abs(a - e);
    if (diff > tolerance.atol + tolerance.rtol * Math.abs(e)) metrics.mismatched++;
    if (diff > metrics.maxAbsDiff) metrics.maxAbsDiff = diff;
    if (e !== 0 && diff / Math.abs(e) > metrics.maxRelDiff) metrics.maxRelDiff = diff / Math.abs(e);
    if (scale > 0) {
      const es = e / scale;
      const as = a / scale;
      dot += es * as;
      normE += es * es;
      normA += as * as;
    }
  }
  metrics.cosine = cosineFrom(dot, normE, normA);
  if (metrics.mismatched > 0) return fail("elementwise_out_of_tolerance");
  if (metrics.cosine < tolerance.minCosine) return fail("cosine_below_threshold");
  return { match: true, reason: "ok", metrics };
}

/** Cosine similarity of two equal-length vectors, overflow-safe; 1 if both are all zeros,
 * 0 if exactly one is. */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`cosineSimilarity: lengths ${a.length} and ${b.length} differ`);
  let scale = 0;
  for (let i = 0; i < a.length; i++) scale = Math.max(scale, Math.abs(a[i] as number), Math.abs(b[i] as number));
  if (!Number.isFinite(scale)) throw new RangeError("cosineSimilarity: non-finite element");
  let dot = 0;
  let normA = 0;
  let normB = 0;
  if (scale > 0) {
    for (let i = 0; i < a.length; i++) {
      const x = (a[i] as number) / scale;
      const y = (b[i] as number) / scale;
      dot += x * y;
      normA += x * x;
      normB += y * y;
    }
  }
  return cosineFrom(dot, normA, normB);
}

function cosineFrom(dot: number, normA: number, normB: number): number {
  if (normA === 0 && normB === 0) return 1;
  if (normA === 0 || normB === 0) return 0;
  return Math.min(1, Math.max(-1, dot / Math.sqrt(normA * normB)));
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((dim, i) => dim === b[i]);
}

function assertTolerance(t: FloatTolerance): void {
  if (!(t.atol >= 0 && Number.isFinite(t.atol))) throw new RangeError(`atol must be finite and ≥ 0, got ${t.atol}`);
  if (!(t.rtol >= 0 && Number.isFinite(t.rtol))) throw new RangeError(`rtol must be finite and ≥ 0, got ${t.rtol}`);
  if (!(t.minCosine >= -1 && t.minCosine <= 1)) throw new RangeError(`minCosine must be in [−1, 1], got ${t.minCosine}`);
}
