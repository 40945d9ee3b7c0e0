import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_PRICE_BASE_UNITS, cuPerHourFromBenchmark, expectedDurationMs, median, priceForJob, scoreBenchmark } from "./compute-units.ts";

describe("priceForJob", () => {
  it("charges cost × price per CU, rounding a fraction of a base unit up", () => {
    expect(priceForJob({ costMilliCu: 1_000, pricePerCuBaseUnits: 2_000 })).toBe(2_000n);
    expect(priceForJob({ costMilliCu: 1, pricePerCuBaseUnits: 1 })).toBe(1n);
    expect(priceForJob({ costMilliCu: 1_001, pricePerCuBaseUnits: 1 })).toBe(2n);
    expect(priceForJob({ costMilliCu: 0, pricePerCuBaseUnits: 5_000n })).toBe(0n);
  });

  it("property: the price is the exact product rounded up", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 0, max: 1_000_000 }), (cost, price) => {
        const p = priceForJob({ costMilliCu: cost, pricePerCuBaseUnits: price });
        expect(p * 1000n >= BigInt(cost) * BigInt(price)).toBe(true);
        expect(p * 1000n - BigInt(cost) * BigInt(price) < 1000n).toBe(true);
        expect(priceForJob({ costMilliCu: cost, pricePerCuBaseUnits: BigInt(price) })).toBe(p);
      }),
    );
  });

  it("property: price is monotone in cost and additive up to rounding", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 0, max: 1e6 }), (a, b, perCu) => {
        const pa = priceForJob({ costMilliCu: a, pricePerCuBaseUnits: perCu });
        const pab = priceForJob({ costMilliCu: a + b, pricePerCuBaseUnits: perCu });
        const pb = priceForJob({ costMilliCu: b, pricePerCuBaseUnits: perCu });
        expect(pab >= pa).toBe(true);
        expect(pab <= pa + pb && pab >= pa + pb - 1n).toBe(true);
      }),
    );
  });

  it("refuses negative, fractional and overflowing inputs", () => {
    expect(() => priceForJob({ costMilliCu: -1, pricePerCuBaseUnits: 1 })).toThrow(RangeError);
    expect(() => priceForJob({ costMilliCu: 1.5, pricePerCuBaseUnits: 1 })).toThrow(RangeError);
    expect(() => priceForJob({ costMilliCu: 1, pricePerCuBaseUnits: 0.5 })).toThrow(RangeError);
    expect(() => priceForJob({ costMilliCu: 1, pricePerCuBaseUnits: -1n })).toThrow(RangeError);
    expect(() => priceForJob({ costMilliCu: Number.NaN, pricePerCuBaseUnits: 1 })).toThrow(RangeError);
    expect(priceForJob({ costMilliCu: 1_000, pricePerCuBaseUnits: MAX_PRICE_BASE_UNITS })).toBe(MAX_PRICE_BASE_UNITS);
    expect(() => priceForJob({ costMilliCu: 1_001, pricePerCuBaseUnits: MAX_PRICE_BASE_UNITS })).toThrow(/exceeds/);
    expect(() => priceForJob({ costMilliCu: Number.MAX_SAFE_INTEGER, pricePerCuBaseUnits: Number.MAX_SAFE_INTEGER })).toThrow(/exceeds/);
  });
});

describe("expectedDurationMs", () => {
  it("a reference-speed worker (3600 CU/h) takes cost-in-milli-CU ms; twice as fast, half", () => {
    expect(expectedDurationMs({ costMilliCu: 250, cuPerHour: 3_600 })).toBe(250);
    expect(expectedDurationMs({ costMilliCu: 250, cuPerHour: 7_200 })).toBe(125);
    expect(() => expectedDurationMs({ costMilliCu: 250, cuPerHour: 0 })).toThrow(RangeError);
  });
});

describe("cuPerHourFromBenchmark", () => {
  it("a machine as fast as the reference does 3600 CU/h; twice as fast, 7200; an outlier run moves nothing", () => {
    expect(cuPerHourFromBenchmark({ samples: [{ slug: "a", referenceMs: 100, measuredMs: [100, 100, 100] }] })).toBe(3600);
    expect(cuPerHourFromBenchmark({ samples: [{ slug: "a", referenceMs: 100, measuredMs: [50, 50, 5000] }] })).toBe(7200);
  });

  it("weights models by their reference time", () => {
    // 900 ms of reference work done in 450 ms; 100 ms of reference work in 100 ms.
    const score = scoreBenchmark({
      samples: [
        { slug: "big", referenceMs: 900, measuredMs: [450, 440, 460] },
        { slug: "small", referenceMs: 100, measuredMs: [100] },
      ],
    });
    expect(score.speedRatio).toBeCloseTo(1000 / 550, 12);
    expect(score.cuPerHour).toBeCloseTo((3600 * 1000) / 550, 9);
    expect(score.benchmarks).toEqual([
      { slug: "big", referenceMs: 900, medianMs: 450, speedRatio: 2 },
      { slug: "small", referenceMs: 100, medianMs: 100, speedRatio: 1 },
    ]);
  });

  it("refuses empty, invalid, duplicated or implausible samples", () => {
    const ok = { slug: "a", referenceMs: 100, measuredMs: [100] };
    expect(() => cuPerHourFromBenchmark({ samples: [] })).toThrow(/no samples/);
    expect(() => cuPerHourFromBenchmark({ samples: [{ ...ok, measuredMs: [] }] })).toThrow(/no measurements/);
    expect(() => cuPerHourFromBenchmark({ samples: [{ ...ok, measuredMs: [100, 0] }] })).toThrow(/positive/);
    expect(() => cuPerHourFromBenchmark({ samples: [{ ...ok, measuredMs: [Number.NaN] }] })).toThrow(/positive/);
    expect(() => cuPerHourFromBenchmark({ samples: [{ ...ok, referenceMs: -1 }] })).toThrow(/referenceMs/);
    expect(() => cuPerHourFromBenchmark({ samples: [{ ...ok, slug: "" }] })).toThrow(/slug/);
    expect(() => cuPerHourFromBenchmark({ samples: [ok, ok] })).toThrow(/twice/);
    expect(() => cuPerHourFromBenchmark({ samples: [{ ...ok, measuredMs: [0.001] }] })).toThrow(/plausible/);
    expect(() => cuPerHourFromBenchmark({ samples: [{ ...ok, measuredMs: new Array(1_001).fill(1) }] })).toThrow(/at most/);
  });

  it("property: scales inversely with measured time", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            referenceMs: fc.integer({ min: 1, max: 1_000 }),
            measuredMs: fc.array(fc.integer({ min: 1, max: 10_000 }), { minLength: 1, maxLength: 9 }),
          }),
          {
            minLength: 1,
            maxLength: 5,
          },
        ),
        fc.integer({ min: 2, max: 10 }),
        (raw, factor) => {
          const samples = raw.map((s, i) => ({ slug: `m${i}`, ...s }));
          const slower = samples.map((s) => ({ ...s, measuredMs: s.measuredMs.map((m) => m * factor) }));
          const base = cuPerHourFromBenchmark({ samples });
          expect(cuPerHourFromBenchmark({ samples: slower })).toBeCloseTo(base / factor, 6);
        },
      ),
    );
  });

  it("property: one arbitrarily slow or fast run in five moves nothing", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000 }), fc.integer({ min: 1, max: 1_000_000 }), (steady, outlier) => {
        const measuredMs = [steady, steady, steady, outlier, steady];
        expect(cuPerHourFromBenchmark({ samples: [{ slug: "a", referenceMs: 1_000, measuredMs }] })).toBeCloseTo((3600 * 1000) / steady, 6);
      }),
    );
  });
});

describe("median", () => {
  it("takes the middle value, or the mean of the two middle values", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(RangeError);
  });
});
