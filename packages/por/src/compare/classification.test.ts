import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareClassification, topK } from "./classification.ts";

describe("topK", () => {
  it("returns the best indices first, ties to the lower index", () => {
    expect(topK([0.1, 0.7, 0.2, 0.7], 3)).toEqual([1, 3, 2]);
    expect(topK([1, 2], 5)).toEqual([1, 0]);
    expect(() => topK([1], -1)).toThrow(RangeError);
  });
});

describe("compareClassification", () => {
  it("agrees on top-1 despite small score differences", () => {
    expect(compareClassification({ expected: [0.1, 0.8, 0.1], actual: [0.11, 0.79, 0.1] })).toMatchObject({
      match: true,
      metrics: { top1Match: true, overlap: 1 },
    });
  });

  it("fails when the top class changes, or the top-k set does", () => {
    expect(compareClassification({ expected: [0.1, 0.8, 0.1], actual: [0.8, 0.1, 0.1] }).reason).toBe("top1_mismatch");
    expect(compareClassification({ expected: [0.5, 0.3, 0.2, 0], actual: [0.5, 0.3, 0, 0.2], k: 3 })).toMatchObject({
      match: false,
      reason: "topk_disagreement",
      metrics: { overlap: 2 },
    });
    expect(compareClassification({ expected: [0.5, 0.3, 0.2, 0], actual: [0.5, 0.3, 0, 0.2], k: 3, minOverlap: 2 }).match).toBe(true);
  });

  it("accepts a swapped near tie within scoreTieTolerance", () => {
    expect(compareClassification({ expected: [0.5, 0.4999], actual: [0.4999, 0.5], scoreTieTolerance: 1e-3 }).match).toBe(true);
    expect(compareClassification({ expected: [0.5, 0.4], actual: [0.4, 0.5], scoreTieTolerance: 1e-3 }).match).toBe(false);
  });

  it("refuses malformed outputs", () => {
    expect(compareClassification({ expected: [1, 2], actual: [1] }).reason).toBe("class_count_mismatch");
    expect(compareClassification({ expected: [1, 2], actual: [1, Number.NaN] }).reason).toBe("non_finite");
    expect(compareClassification({ expected: [1, 2], actual: [1, 2], k: 0 }).reason).toBe("invalid_k");
    expect(compareClassification({ expected: [1, 2], actual: [1, 2], k: 2, minOverlap: 3 }).reason).toBe("invalid_k");
  });

  it("property: any monotone transform of the scores (softmax of logits) keeps agreement", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -20, max: 20, noNaN: true }), { minLength: 1, maxLength: 50 }),
        fc.integer({ min: 1, max: 5 }),
        (logits, k) => {
          const max = Math.max(...logits);
          const exp = logits.map((x) => Math.exp(x - max));
          const sum = exp.reduce((a, b) => a + b, 0);
          const probabilities = exp.map((x) => x / sum);
          fc.pre(new Set(probabilities).size === probabilities.length && new Set(logits).size === logits.length);
          expect(compareClassification({ expected: logits, actual: probabilities, k }).match).toBe(true);
        },
      ),
    );
  });
});
