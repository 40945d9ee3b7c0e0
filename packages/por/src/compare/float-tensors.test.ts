import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareFloatTensors, cosineSimilarity } from "./float-tensors.ts";

const vector = fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 1, maxLength: 64 });

describe("compareFloatTensors", () => {
  it("matches identical tensors, and Float32Array against number[]", () => {
    const data = [0.25, -1.5, 3, 0];
    expect(compareFloatTensors({ expected: data, actual: Float32Array.from(data) })).toMatchObject({ match: true, reason: "ok" });
    expect(compareFloatTensors({ expected: [], actual: [] })).toMatchObject({ match: true, metrics: { cosine: 1, length: 0 } });
  });

  it("uses numpy.allclose semantics: atol + rtol·|expected|", () => {
    const tolerance = { atol: 0.01, rtol: 0.1, minCosine: -1 };
    expect(compareFloatTensors({ expected: [10], actual: [11.009], tolerance }).match).toBe(true);
    expect(compareFloatTensors({ expected: [10], actual: [11.02], tolerance })).toMatchObject({
      match: false,
      reason: "elementwise_out_of_tolerance",
      metrics: { mismatched: 1 },
    });
  });

  it("catches a vector uniformly off in direction even when every element is within atol", () => {
    // Each element differs by ≤ 0.05 (inside atol 0.1) but the direction changes.
    const expected = [0.05, 0.05, 0.05, 0.05];
    const actual = [0.1, 0, 0.1, 0];
    const result = compareFloatTensors({ expected, actual, tolerance: { atol: 0.1, rtol: 0 } });
    expect(result).toMatchObject({ match: false, reason: "cosine_below_threshold" });
    expect(result.metrics.cosine).toBeCloseTo(Math.SQRT1_2, 12);
  });

  it("refuses shape, length and non-finite disagreements", () => {
    expect(compareFloatTensors({ expected: [1, 2], actual: [1] }).reason).toBe("length_mismatch");
    expect(compareFloatTensors({ expected: [1, 2], actual: [1, 2], expectedDims: [2], actualDims: [1, 2] }).reason).toBe("shape_mismatch");
    expect(compareFloatTensors({ expected: [1, 2], actual: [1, Number.NaN] }).reason).toBe("non_finite");
    expect(compareFloatTensors({ expected: [Number.NaN], actual: [Number.NaN] }).reason).toBe("ok");
    expect(compareFloatTensors({ expected: [Number.NEGATIVE_INFINITY, 1], actual: [Number.NEGATIVE_INFINITY, 1] }).match).toBe(true);
    expect(compareFloatTensors({ expected: [Number.NEGATIVE_INFINITY], actual: [Number.POSITIVE_INFINITY] }).reason).toBe("non_finite");
  });

  it("does not overflow on huge magnitudes", () => {
    const result = compareFloatTensors({ expected: [1e200, -1e200], actual: [1e200, -1e200] });
    expect(result).toMatchObject({ match: true, metrics: { cosine: 1 } });
  });

  it("refuses invalid tolerances", () => {
    expect(() => compareFloatTensors({ expected: [1], actual: [1], tolerance: { atol: -1 } })).toThrow(RangeError);
    expect(() => compareFloatTensors({ expected: [1], actual: [1], tolerance: { minCosine: 2 } })).toThrow(RangeError);
  });

  it("property: a tensor matches itself, with cosine 1 (up to rounding)", () => {
    fc.assert(
      fc.property(vector, (data) => {
        const result = compareFloatTensors({ expected: data, actual: [...data] });
        expect(result.match).toBe(true);
        expect(result.metrics.maxAbsDiff).toBe(0);
      }),
    );
  });

  it("property: noise within half of atol never fails the elementwise test", () => {
    fc.assert(
      fc.property(vector, fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 64, maxLength: 64 }), (data, noise) => {
        const atol = 1e-3;
        const actual = data.map((x, i) => x + (noise[i] ?? 0) * (atol / 2));
        const result = compareFloatTensors({ expected: data, actual, tolerance: { atol, rtol: 0, minCosine: -1 } });
        expect(result.metrics.mismatched).toBe(0);
      }),
    );
  });

  it("property: a negated non-zero tensor never matches", () => {
    fc.assert(
      fc.property(vector, (data) => {
        fc.pre(data.some((x) => Math.abs(x) > 1e-3));
        expect(compareFloatTensors({ expected: data, actual: data.map((x) => -x) }).match).toBe(false);
      }),
    );
  });

  it("property: changing one element by more than the tolerance fails", () => {
    fc.assert(
      fc.property(vector, fc.nat(), fc.double({ min: 1, max: 1e6, noNaN: true }), (data, at, delta) => {
        const i = at % data.length;
        const actual = [...data];
        actual[i] = (actual[i] ?? 0) + delta;
        expect(compareFloatTensors({ expected: data, actual }).match).toBe(false);
      }),
    );
  });
});

describe("cosineSimilarity", () => {
  it("is 1 for parallel, 0 for orthogonal, −1 for opposite vectors", () => {
    expect(cosineSimilarity([1, 2], [2, 4])).toBeCloseTo(1, 12);
    expect(cosineSimilarity([1, 0], [0, 3])).toBe(0);
    expect(cosineSimilarity([1, 2], [-1, -2])).toBeCloseTo(-1, 12);
    expect(cosineSimilarity([0, 0], [0, 0])).toBe(1);
    expect(cosineSimilarity([0, 0], [1, 0])).toBe(0);
    expect(() => cosineSimilarity([1], [1, 2])).toThrow(RangeError);
  });

  it("property: stays in [−1, 1] and is symmetric and scale-invariant", () => {
    // Millis on a grid: subnormal doubles lose the precision scale invariance needs.
    const grid = fc.array(
      fc.integer({ min: -100_000, max: 100_000 }).map((x) => x / 1000),
      { minLength: 1, maxLength: 64 },
    );
    fc.assert(
      fc.property(grid, grid, fc.double({ min: 1e-3, max: 1e3, noNaN: true }), (a, b, scale) => {
        const n = Math.min(a.length, b.length);
        const x = a.slice(0, n);
        const y = b.slice(0, n);
        const c = cosineSimilarity(x, y);
        expect(c).toBeGreaterThanOrEqual(-1);
        expect(c).toBeLessThanOrEqual(1);
        expect(cosineSimilarity(y, x)).toBeCloseTo(c, 9);
        expect(
          cosineSimilarity(
            x.map((v) => v * scale),
            y,
          ),
        ).toBeCloseTo(c, 9);
      }),
    );
  });
});
