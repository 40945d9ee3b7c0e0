import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { generateNodeKeyPair } from "../crypto/ed25519.ts";
import { cuPerHourFromBenchmark } from "../pricing/compute-units.ts";
import { type CheckReport, deliveredCuPerHour, deratedCapability, signCheckReport, verifyCheckReport } from "./check-task.ts";

describe("check reports", () => {
  const keys = generateNodeKeyPair();
  const report: Omit<CheckReport, "signature"> = {
    checkId: "c1",
    attempt: 1,
    items: [{ ref: "j1", match: true, reason: "ok", metrics: {}, output: { a: 1 }, outputHash: "ab".repeat(32), inferenceMs: 3 }],
  };

  it("verifies a signed report and refuses a changed verdict or output hash", () => {
    const signed = signCheckReport(report, keys.privateKey);
    expect(verifyCheckReport(signed, keys.publicKey)).toBe(true);
    const flipped = { ...signed, items: [{ ...signed.items[0]!, match: false }] };
    expect(verifyCheckReport(flipped, keys.publicKey)).toBe(false);
    const rehashed = { ...signed, items: [{ ...signed.items[0]!, outputHash: "cd".repeat(32) }] };
    expect(verifyCheckReport(rehashed, keys.publicKey)).toBe(false);
    expect(verifyCheckReport(signed, generateNodeKeyPair().publicKey)).toBe(false);
  });
});

describe("deliveredCuPerHour", () => {
  it("is reference work over wall time, in CU per hour", () => {
    // 1000 milli-CU done in 1000 ms: the reference machine's speed, 3600 CU/h.
    expect(deliveredCuPerHour([{ modelSlug: "a", costMilliCu: 1_000, wallMs: 1_000 }])).toBe(3_600);
    expect(
      deliveredCuPerHour([
        { modelSlug: "a", costMilliCu: 500, wallMs: 1_000 },
        { modelSlug: "b", costMilliCu: 500, wallMs: 1_000 },
      ]),
    ).toBe(1_800);
  });

  it("scores like the benchmark: per model the median, weighted by reference cost", () => {
    const items = [
      ...[160, 158, 700, 164].map((wallMs) => ({ modelSlug: "ocr", costMilliCu: 133, wallMs })),
      ...[45, 44, 47, 400].map((wallMs) => ({ modelSlug: "vad", costMilliCu: 43, wallMs })),
      ...[7, 7, 8, 7].map((wallMs) => ({ modelSlug: "enc", costMilliCu: 7, wallMs })),
    ];
    const delivered = deliveredCuPerHour(items);
    // Exactly what scoreBenchmark gives for the same runs, so a worker is judged against
    // the very number its benchmark produced.
    const bench = cuPerHourFromBenchmark({
      samples: ["ocr", "vad", "enc"].map((slug) => ({
        slug,
        referenceMs: items.find((i) => i.modelSlug === slug)?.costMilliCu ?? 0,
        measuredMs: items.filter((i) => i.modelSlug === slug).map((i) => i.wallMs),
      })),
    });
    expect(delivered).toBeCloseTo(bench, 9);
    // One 700 ms OCR hiccup and one 400 ms VAD hiccup: the plain Σcost/Σtime would credit
    // a third less.
    const plain = (items.reduce((a, i) => a + i.costMilliCu, 0) / items.reduce((a, i) => a + i.wallMs, 0)) * 3_600;
    expect(plain / delivered).toBeLessThan(0.7);
  });

  it("property: one slow job among three or more of a model changes nothing", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 9 }),
        fc.integer({ min: 5, max: 500 }),
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 100_000 }),
        (n, wall, cost, stall) => {
          const base = Array.from({ length: n }, () => ({ modelSlug: "m", costMilliCu: cost, wallMs: wall }));
          const slowed = base.map((i, k) => (k === 0 ? { ...i, wallMs: i.wallMs + stall } : i));
          expect(deliveredCuPerHour(slowed)).toBeCloseTo(deliveredCuPerHour(base), 9);
        },
      ),
    );
  });

  it("refuses empty or malformed timings", () => {
    expect(() => deliveredCuPerHour([])).toThrow(RangeError);
    expect(() => deliveredCuPerHour([{ modelSlug: "a", costMilliCu: 1, wallMs: 0 }])).toThrow(RangeError);
    expect(() => deliveredCuPerHour([{ modelSlug: "a", costMilliCu: -1, wallMs: 1 }])).toThrow(RangeError);
    expect(() => deliveredCuPerHour([{ modelSlug: "a", costMilliCu: 0, wallMs: 1 }])).toThrow(RangeError);
  });

  it("judges each job by its own rate: a stalled expensive job cannot hide behind a cheap one's time", () => {
    // Two cheap jobs at the claimed speed and one expensive job 10× too slow: the medians of
    // cost and of time taken separately (133 and 20 ms) would say 6.6× faster than it is.
    const items = [
      { modelSlug: "m", costMilliCu: 7, wallMs: 7 },
      { modelSlug: "m", costMilliCu: 133, wallMs: 1_330 },
      { modelSlug: "m", costMilliCu: 133, wallMs: 1_330 },
      { modelSlug: "m", costMilliCu: 7, wallMs: 7 },
      { modelSlug: "m", costMilliCu: 133, wallMs: 20 },
    ];
    // Per unit of cost: 1, 10, 10, 1, 0.15 ms → median 1 ms → 3600 CU/h; never the 6.6× figure.
    expect(deliveredCuPerHour(items)).toBeCloseTo(3_600, 6);
  });
});

describe("deratedCapability", () => {
  it("keeps an honest claim within tolerance and derates an inflated one to what was delivered", () => {
    expect(deratedCapability({ claimed: 3_600, delivered: 3_400 })).toBe(3_600);
    expect(deratedCapability({ claimed: 7_200, delivered: 3_600 })).toBe(3_600);
    expect(deratedCapability({ claimed: 3_600, delivered: 9_000 })).toBe(3_600);
  });

  it("property: never above the claim, never below what was delivered (when under the claim)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e7 }), fc.integer({ min: 0, max: 1e7 }), (claimed, delivered) => {
        const credited = deratedCapability({ claimed, delivered });
        expect(credited).toBeLessThanOrEqual(claimed);
        expect(credited).toBeGreaterThanOrEqual(Math.min(claimed, delivered));
      }),
    );
  });
});
