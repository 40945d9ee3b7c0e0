import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { generateNodeKeyPair } from "../crypto/ed25519.ts";
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
    expect(deliveredCuPerHour([{ costMilliCu: 1_000, wallMs: 1_000 }])).toBe(3_600);
    expect(deliveredCuPerHour([{ costMilliCu: 500, wallMs: 1_000 }, { costMilliCu: 500, wallMs: 1_000 }])).toBe(1_800);
  });

  it("refuses empty or malformed timings", () => {
    expect(() => deliveredCuPerHour([])).toThrow(RangeError);
    expect(() => deliveredCuPerHour([{ costMilliCu: 1, wallMs: 0 }])).toThrow(RangeError);
    expect(() => deliveredCuPerHour([{ costMilliCu: -1, wallMs: 1 }])).toThrow(RangeError);
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
