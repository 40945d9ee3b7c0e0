import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nearestRankIndex, quantile, quantileBig, spreadBig } from "./stats.ts";

describe("nearest-rank quantiles", () => {
  it("match the textbook examples", () => {
    // Nearest-rank method: 15, 20, 35, 40, 50 → p30 = 20, p40 = 20, p50 = 35, p100 = 50.
    const xs = [40, 15, 50, 35, 20];
    expect(quantile(xs, 0.3)).toBe(20);
    expect(quantile(xs, 0.4)).toBe(20);
    expect(quantile(xs, 0.5)).toBe(35);
    expect(quantile(xs, 1)).toBe(50);
    expect(quantile(xs, 0)).toBe(15);
  });

  it("p95 of 1..100 is 95, of 1..20 is 19, of a single sample is that sample", () => {
    expect(
      quantile(
        Array.from({ length: 100 }, (_, i) => i + 1),
        0.95,
      ),
    ).toBe(95);
    expect(
      quantile(
        Array.from({ length: 20 }, (_, i) => i + 1),
        0.95,
      ),
    ).toBe(19);
    expect(quantile([7], 0.95)).toBe(7);
  });

  it("an empty sample has no quantile", () => {
    expect(quantile([], 0.5)).toBeNull();
    expect(quantileBig([], 0.5)).toBeNull();
    expect(spreadBig([])).toBeNull();
    expect(nearestRankIndex(0, 0.5)).toBe(-1);
  });

  it("the median of an even count is the lower middle: an ask that exists", () => {
    expect(spreadBig([60_000n, 40_000n])).toEqual({ min: 40_000n, median: 40_000n, max: 60_000n });
    expect(spreadBig([4n, 1n, 3n, 2n])).toEqual({ min: 1n, median: 2n, max: 4n });
  });

  it("keeps integer money exact beyond 2^53", () => {
    const big = 2n ** 60n + 1n;
    expect(quantileBig([big, 1n, big + 2n], 0.5)).toBe(big);
  });

  it("refuses a quantile outside 0..1", () => {
    expect(() => quantile([1], 1.5)).toThrow(/0\.\.1/);
    expect(() => quantile([1], Number.NaN)).toThrow(/0\.\.1/);
  });

  it("is a sample value, monotone in p, between min and max (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -1e6, max: 1e6 }), { minLength: 1, maxLength: 200 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (xs, a, b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          const qa = quantile(xs, lo) as number;
          const qb = quantile(xs, hi) as number;
          expect(xs).toContain(qa);
          expect(qa).toBeLessThanOrEqual(qb);
          expect(qa).toBeGreaterThanOrEqual(Math.min(...xs));
          expect(qb).toBeLessThanOrEqual(Math.max(...xs));
          // At least ⌈p·n⌉ values are ≤ the p-quantile (the definition of nearest rank).
          expect(xs.filter((x) => x <= qb).length).toBeGreaterThanOrEqual(Math.ceil(hi * xs.length));
        },
      ),
    );
  });

  it("numbers and bigints agree (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1e9 }), { minLength: 1, maxLength: 100 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (xs, p) => {
          expect(quantileBig(xs.map(BigInt), p)).toBe(BigInt(quantile(xs, p) as number));
        },
      ),
    );
  });
});
