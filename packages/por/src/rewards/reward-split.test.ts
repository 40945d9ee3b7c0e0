import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_REWARD_SPLIT, splitReward } from "./reward-split.ts";

describe("splitReward", () => {
  it("parts are non-negative and sum exactly to the price (property)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 10_000 }), (price, a, b) => {
        const checkers = Math.min(a, 10_000);
        const protocol = Math.min(b, 10_000 - checkers);
        const s = splitReward(price, { worker: 10_000 - checkers - protocol, checkers, protocol });
        expect(s.worker + s.checkers + s.protocol).toBe(price);
        expect(s.worker >= 0n && s.checkers >= 0n && s.protocol >= 0n).toBe(true);
      }),
    );
  });
  it("gives 85/10/5 by default", () => {
    expect(splitReward(1_000_000n, DEFAULT_REWARD_SPLIT)).toEqual({ worker: 850_000n, checkers: 100_000n, protocol: 50_000n });
  });
  it("refuses basis points that do not sum to 10000", () => {
    expect(() => splitReward(1n, { worker: 1, checkers: 1, protocol: 1 })).toThrow(RangeError);
  });
});
