import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareEmbeddings } from "./embeddings.ts";

describe("compareEmbeddings", () => {
  it("matches identical batches and reports the lowest cosine", () => {
    const vectors = [
      [1, 0, 0],
      [0.5, 0.5, 0],
    ];
    expect(compareEmbeddings({ expected: vectors, actual: vectors.map((v) => [...v]) })).toMatchObject({
      match: true,
      reason: "ok",
      metrics: { minCosine: 1 },
    });
  });

  it("fails on a different count, and names the first bad vector", () => {
    expect(compareEmbeddings({ expected: [[1]], actual: [] }).reason).toBe("count_mismatch");
    const result = compareEmbeddings({
      expected: [
        [1, 0],
        [0, 1],
        [1, 1],
      ],
      actual: [
        [1, 0],
        [1, 0],
        [0, 0],
      ],
    });
    expect(result).toMatchObject({
      match: false,
      reason: "elementwise_out_of_tolerance",
      metrics: { mismatchedVectors: 2, firstMismatch: 1 },
    });
  });

  it("property: one substituted vector in an honest batch is always caught", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 8, maxLength: 8 }), { minLength: 1, maxLength: 16 }),
        fc.nat(),
        (batch, at) => {
          const index = at % batch.length;
          const actual = batch.map((v) => [...v]);
          actual[index] = (batch[index] ?? []).map((x) => x + 0.5);
          const result = compareEmbeddings({ expected: batch, actual });
          expect(result.match).toBe(false);
          expect(result.metrics.firstMismatch).toBe(index);
        },
      ),
    );
  });
});
