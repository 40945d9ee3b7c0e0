import { type ComparisonResult, MAX_COMPARE_ELEMENTS } from "./comparison-result.ts";
import { type FloatComparisonReason, type FloatTolerance, compareFloatTensors } from "./float-tensors.ts";

// An encoder job returns one vector per input text. Each vector must pass the float-tensor
// test on its own: averaging over the batch would let one substituted vector hide among
// honest ones.

export type EmbeddingComparisonReason = "ok" | "count_mismatch" | "too_large" | Exclude<FloatComparisonReason, "ok" | "too_large">;

export interface EmbeddingComparisonMetrics {
  expectedCount: number;
  actualCount: number;
  /** Vectors that failed their own comparison. */
  mismatchedVectors: number;
  /** Lowest per-vector cosine (1 when there are no vectors). */
  minCosine: number;
  maxAbsDiff: number;
  /** Index of the first failing vector, or −1. */
  firstMismatch: number;
}

export function compareEmbeddings(options: {
  expected: readonly ArrayLike<number>[];
  actual: readonly ArrayLike<number>[];
  tolerance?: Partial<FloatTolerance>;
}): ComparisonResult<EmbeddingComparisonReason, EmbeddingComparisonMetrics> {
  const { expected, actual } = options;
  const metrics: EmbeddingComparisonMetrics = {
    expectedCount: expected.length,
    actualCount: actual.length,
    mismatchedVectors: 0,
    minCosine: 1,
    maxAbsDiff: 0,
    firstMismatch: -1,
  };
  if (expected.length !== actual.length) return { match: false, reason: "count_mismatch", metrics };
  let elements = 0;
  for (const vector of expected) elements += vector.length;
  if (elements > MAX_COMPARE_ELEMENTS) return { match: false, reason: "too_large", metrics };
  let firstReason: EmbeddingComparisonReason = "ok";
  expected.forEach((vector, index) => {
    const result = compareFloatTensors({ expected: vector, actual: actual[index] ?? [], tolerance: options.tolerance });
    metrics.minCosine = Math.min(metrics.minCosine, result.metrics.cosine);
    metrics.maxAbsDiff = Math.max(metrics.maxAbsDiff, result.metrics.maxAbsDiff);
    if (!result.match) {
      metrics.mismatchedVectors++;
      if (metrics.firstMismatch === -1) {
        metrics.firstMismatch = index;
        firstReason = result.reason === "too_large" ? "too_large" : result.reason;
      }
    }
  });
  return { match: metrics.mismatchedVectors === 0, reason: firstReason, metrics };
}
