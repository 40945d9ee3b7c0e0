import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cuPerHourFromBenchmark, priceForJob } from "./compute-units.ts";

describe("compute units", () => {
  it("prices round up and scale linearly (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 0, max: 1_000_000 }), (cost, price) => {
        const p = priceForJob({ costMilliCu: cost, pricePerCu: price });
        expect(p * 1000n >= BigInt(cost) * BigInt(price)).toBe(true);
        expect(p * 1000n - BigInt(cost) * BigInt(price) < 1000n).toBe(true);
      }),
    );
  });
  it("refuses negative or fractional inputs", () => {
    expect(() => priceForJob({ costMilliCu: -1, pricePerCu: 1 })).toThrow(RangeError);
    expect(() => priceForJob({ costMilliCu: 1.5, pricePerCu: 1 })).toThrow(RangeError);
  });
  it("a machine as fast as the reference does 3600 CU/h; twice as fast, 7200; an outlier run moves nothing", () => {
    expect(cuPerHourFromBenchmark({ samples: [{ slug: "a", referenceMs: 100, measuredMs: [100, 100, 100] }] })).toBe(3600);
    expect(cuPerHourFromBenchmark({ samples: [{ slug: "a", referenceMs: 100, measuredMs: [50, 50, 5000] }] })).toBe(7200);
    expect(() => cuPerHourFromBenchmark({ samples: [] })).toThrow(RangeError);
  });
});
