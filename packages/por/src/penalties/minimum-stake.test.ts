import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_STAKE_POLICY, minimumStake } from "./minimum-stake.ts";

describe("minimumStake", () => {
  it("is the base stake plus the minimum slash for one epoch of the worker's work", () => {
    expect(minimumStake(0)).toBe(100_000_000n);
    // 3600 CU/h × 0.05 token × ¼ h × 49 = 2205 tokens, plus 100.
    expect(minimumStake(3_600)).toBe(2_305_000_000n);
    expect(minimumStake(1, { ...DEFAULT_STAKE_POLICY, baseStake: 0n })).toBe(612_500n);
  });

  it("refuses malformed capability and policies", () => {
    expect(() => minimumStake(-1)).toThrow(RangeError);
    expect(() => minimumStake(1.5)).toThrow(RangeError);
    expect(() => minimumStake(1, { ...DEFAULT_STAKE_POLICY, recheckRateBps: 0 })).toThrow(RangeError);
    expect(() => minimumStake(1, { ...DEFAULT_STAKE_POLICY, pricePerCuBaseUnits: -1n })).toThrow(RangeError);
  });

  it("property: grows with capability and never falls below the base", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 0, max: 10_000_000 }), (a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        expect(minimumStake(high) >= minimumStake(low)).toBe(true);
        expect(minimumStake(low) >= DEFAULT_STAKE_POLICY.baseStake).toBe(true);
        if (high > low) expect(minimumStake(high) > minimumStake(low)).toBe(true);
      }),
    );
  });

  it("property: a higher re-check floor never asks for more stake", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 10_000 }),
        (cu, a, b) => {
          const [low, high] = a <= b ? [a, b] : [b, a];
          expect(
            minimumStake(cu, { ...DEFAULT_STAKE_POLICY, recheckRateBps: high }) <=
              minimumStake(cu, { ...DEFAULT_STAKE_POLICY, recheckRateBps: low }),
          ).toBe(true);
        },
      ),
    );
  });
});
