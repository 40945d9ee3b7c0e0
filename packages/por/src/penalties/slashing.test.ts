import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expectedCheatingGain, minimumSlash } from "./slashing.ts";

const rate = fc.double({ min: 0.001, max: 1, noNaN: true });
const gain = fc.double({ min: 0, max: 1e9, noNaN: true });

describe("minimumSlash", () => {
  it("is gain·(1 − p)/p", () => {
    expect(minimumSlash({ gainPerJob: 1, recheckRate: 0.02 })).toBeCloseTo(49, 9);
    expect(minimumSlash({ gainPerJob: 10, recheckRate: 0.1 })).toBeCloseTo(90, 9);
    expect(minimumSlash({ gainPerJob: 10, recheckRate: 1 })).toBe(0);
    expect(minimumSlash({ gainPerJob: 0, recheckRate: 0 })).toBe(0);
    expect(minimumSlash({ gainPerJob: 1, recheckRate: 0 })).toBe(Number.POSITIVE_INFINITY);
  });

  it("refuses out-of-range inputs", () => {
    expect(() => minimumSlash({ gainPerJob: -1, recheckRate: 0.1 })).toThrow(RangeError);
    expect(() => minimumSlash({ gainPerJob: 1, recheckRate: 1.5 })).toThrow(RangeError);
    expect(() => minimumSlash({ gainPerJob: Number.NaN, recheckRate: 0.1 })).toThrow(RangeError);
  });

  it("property: slashing at least the minimum makes cheating unprofitable for every f; less makes it pay", () => {
    fc.assert(
      fc.property(gain, rate, fc.double({ min: 0, max: 1, noNaN: true }), (g, p, f) => {
        const s = minimumSlash({ gainPerJob: g, recheckRate: p });
        expect(expectedCheatingGain({ gain: g, p, f, slash: s })).toBeLessThanOrEqual(1e-9 * Math.max(1, g));
      }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 1, max: 990 }).map((x) => x / 1000),
        fc.integer({ min: 1, max: 100 }).map((x) => x / 100),
        (g, p, f) => {
          const s = minimumSlash({ gainPerJob: g, recheckRate: p });
          expect(expectedCheatingGain({ gain: g, p, f, slash: s * 0.9 })).toBeGreaterThan(0);
        },
      ),
    );
  });

  it("property: decreases as the re-check rate rises", () => {
    fc.assert(
      fc.property(gain, rate, rate, (g, a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        expect(minimumSlash({ gainPerJob: g, recheckRate: high })).toBeLessThanOrEqual(minimumSlash({ gainPerJob: g, recheckRate: low }));
      }),
    );
  });
});

describe("expectedCheatingGain", () => {
  it("is f·((1 − p)·gain − p·slash)", () => {
    expect(expectedCheatingGain({ gain: 10, p: 0.1, f: 0.5, slash: 50 })).toBeCloseTo(0.5 * (9 - 5), 12);
    expect(expectedCheatingGain({ gain: 10, p: 0.1, f: 0, slash: 0 })).toBe(0);
    expect(() => expectedCheatingGain({ gain: 10, p: 0.1, f: 1.1, slash: 0 })).toThrow(RangeError);
  });

  it("property: never rises with a larger slash or a higher re-check rate", () => {
    fc.assert(
      fc.property(gain, rate, fc.double({ min: 0, max: 1, noNaN: true }), gain, gain, (g, p, f, s1, s2) => {
        const [low, high] = s1 <= s2 ? [s1, s2] : [s2, s1];
        expect(expectedCheatingGain({ gain: g, p, f, slash: high })).toBeLessThanOrEqual(
          expectedCheatingGain({ gain: g, p, f, slash: low }),
        );
        expect(expectedCheatingGain({ gain: g, p: Math.min(1, p + 0.01), f, slash: low })).toBeLessThanOrEqual(
          expectedCheatingGain({ gain: g, p, f, slash: low }) + 1e-9 * Math.max(1, g, low),
        );
      }),
    );
  });
});
