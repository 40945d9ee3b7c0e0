import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_REWARD_SPLIT, MAX_LEDGER_AMOUNT, type RewardSplitBps, splitReward } from "./reward-split.ts";

const arbitraryBps = fc.tuple(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 10_000 })).map(([a, b]): RewardSplitBps => {
  const checkers = Math.min(a, b);
  const protocol = Math.max(a, b) - checkers;
  return { worker: 10_000 - checkers - protocol, checkers, protocol };
});
const arbitraryPrice = fc.bigInt({ min: 0n, max: MAX_LEDGER_AMOUNT });

describe("splitReward", () => {
  it("gives 85/10/5 by default", () => {
    expect(splitReward(1_000_000n)).toEqual({ worker: 850_000n, checkers: 100_000n, protocol: 50_000n });
    expect(splitReward(1_000_000n, DEFAULT_REWARD_SPLIT)).toEqual(splitReward(1_000_000n));
  });

  it("gives rounding remainders to the worker", () => {
    expect(splitReward(19n)).toEqual({ worker: 18n, checkers: 1n, protocol: 0n });
    expect(splitReward(1n)).toEqual({ worker: 1n, checkers: 0n, protocol: 0n });
    expect(splitReward(0n)).toEqual({ worker: 0n, checkers: 0n, protocol: 0n });
  });

  it("property: parts are non-negative and sum exactly to the price", () => {
    fc.assert(
      fc.property(arbitraryPrice, arbitraryBps, (price, bps) => {
        const s = splitReward(price, bps);
        expect(s.worker + s.checkers + s.protocol).toBe(price);
        expect(s.worker >= 0n && s.checkers >= 0n && s.protocol >= 0n).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("property: each part is within one base unit per share of its exact fraction", () => {
    fc.assert(
      fc.property(arbitraryPrice, arbitraryBps, (price, bps) => {
        const s = splitReward(price, bps);
        const exact = (share: number) => price * BigInt(share);
        expect(s.checkers * 10_000n <= exact(bps.checkers) && exact(bps.checkers) < (s.checkers + 1n) * 10_000n).toBe(true);
        expect(s.protocol * 10_000n <= exact(bps.protocol) && exact(bps.protocol) < (s.protocol + 1n) * 10_000n).toBe(true);
        expect(s.worker * 10_000n >= exact(bps.worker) && s.worker * 10_000n - exact(bps.worker) < 20_000n).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("property: a higher price never lowers the floored parts, nor the worker's by more than one unit", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.bigInt({ min: 0n, max: 10n ** 6n }), arbitraryBps, (price, extra, bps) => {
        const low = splitReward(price, bps);
        const high = splitReward(price + extra, bps);
        expect(high.checkers >= low.checkers && high.protocol >= low.protocol).toBe(true);
        // Both floors can tick up at once, taking one unit from the remainder.
        expect(high.worker >= low.worker - 1n).toBe(true);
      }),
    );
  });

  it("refuses bad prices and basis points", () => {
    expect(() => splitReward(-1n)).toThrow(RangeError);
    expect(() => splitReward(MAX_LEDGER_AMOUNT + 1n)).toThrow(RangeError);
    expect(() => splitReward(1n, { worker: 1, checkers: 1, protocol: 1 })).toThrow(/sum to 10000/);
    expect(() => splitReward(1n, { worker: 10_500, checkers: -500, protocol: 0 })).toThrow(RangeError);
    expect(() => splitReward(1n, { worker: 8_500.5, checkers: 999.5, protocol: 500 })).toThrow(RangeError);
  });
});
