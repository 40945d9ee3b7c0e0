import { type ComparisonResult, MAX_COMPARE_ELEMENTS } from "./comparison-result.ts";

// Classification outputs (a score per class) are compared by what the customer acts on: the
// top-k classes. Scores themselves may differ in the last bits; the ranking of the top
// classes does not, unless two classes are nearly tied, which `scoreTieTolerance` allows for.

export type ClassificationComparisonReason =
  | "ok"
  | "too_large"
  | "class_count_mismatch"
  | "non_finite"
  | "invalid_k"
  | "top1_mismatch"
  | "topk_disagreement";

export interface ClassificationComparisonMetrics {
  classes: number;
  k: number;
  /** Actual top-k classes that are in the expected top-k (or tied with its k-th class). */
  overlap: number;
  top1Match: boolean;
}

/** Indices of the k highest scores, best first; ties go to the lower index (deterministic). */
export function topK(scores: ArrayLike<number>, k: number): number[] {
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`k must be a non-negative integer, got ${k}`);
  const indices = Array.from({ length: scores.length }, (_, i) => i);
  indices.sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
  return indices.slice(0, k);
}

/**
 * Matches when the top-1 classes agree (or the actual top-1 is within `scoreTieTolerance` of
 * the expected top score: a near tie) and at least `minOverlap` of the k expected top classes
 * are in the actual top-k (default: all k).
 */
export function compareClassification(options: {
  expected: ArrayLike<number>;
  actual: ArrayLike<number>;
  k?: number;
  minOverlap?: number;
  scoreTieTolerance?: number;
}): ComparisonResult<ClassificationComparisonReason, ClassificationComparisonMetrics> {
  const { expected, actual } = options;
  const k = Math.min(options.k ?? 1, expected.length);
  const minOverlap = options.minOverlap ?? k;
  const tie = options.scoreTieTolerance ?? 0;
  const metrics: ClassificationComparisonMetrics = { classes: expected.length, k, overlap: 0, top1Match: false };
  if (expected.length > MAX_COMPARE_ELEMENTS) return { match: false, reason: "too_large", metrics };
  if (expected.length !== actual.length) return { match: false, reason: "class_count_mismatch", metrics };
  if (!Number.isInteger(k) || k < 1 || !Number.isInteger(minOverlap) || minOverlap < 0 || minOverlap > k || !(tie >= 0)) {
    return { match: false, reason: "invalid_k", metrics };
  }
  for (let i = 0; i < expected.length; i++) {
    if (!Number.isFinite(expected[i]) || !Number.isFinite(actual[i])) return { match: false, reason: "non_finite", metrics };
  }
  const expectedTop = topK(expected, k);
  const expectedSet = new Set(expectedTop);
  // A class outside the expected top-k still agrees if its expected score is within the tie
  // tolerance of the k-th expected score: the two could have swapped on honest hardware.
  const boundary = (expected[expectedTop[k - 1] as number] as number) - tie;
  metrics.overlap = topK(actual, k).filter((index) => expectedSet.has(index) || (expected[index] as number) >= boundary).length;
  const expectedBest = expectedTop[0] as number;
  const actualBest = topK(actual, 1)[0] as number;
  metrics.top1Match = expectedBest === actualBest;
  const nearTie = (expected[expectedBest] as number) - (expected[actualBest] as number) <= tie;
  if (!metrics.top1Match && !nearTie) return { match: false, reason: "top1_mismatch", metrics };
  if (metrics.overlap < minOverlap) return { match: false, reason: "topk_disagreement", metrics };
  return { match: true, reason: "ok", metrics };
}
