import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { splitReward } from "../rewards/reward-split.ts";
import { expectedCheatingGain } from "../penalties/slashing.ts";
import {
  allocateRefunds,
  checkExposurePolicy,
  DEFAULT_EXPOSURE_POLICY,
  deterrentRecheckRate,
  ExposureBook,
  freeStakeForSlash,
  maxExposureFactorBps,
  planFraudSettlement,
  providerStanding,
  stakeBackedExposure,
} from "./exposure.ts";
import { providerProbation, worstAllocation } from "./provider-probation.ts";

const T = 1_000_000n;
const amount = (max = 10n ** 12n) => fc.bigInt({ min: 0n, max });

describe("provider standing", () => {
  it("a provider never slashed has the starter allowance and full stake; each fraud halves its stake's weight, down to 1/16", () => {
    expect(providerStanding(0)).toEqual({ frauds: 0, starterAllowance: 5n * T, stakeMultiplier: 1 });
    expect(providerStanding(1)).toMatchObject({ starterAllowance: 0n, stakeMultiplier: 2 });
    expect(providerStanding(3).stakeMultiplier).toBe(8);
    expect(providerStanding(40).stakeMultiplier).toBe(16);
    expect(() => providerStanding(-1)).toThrow(RangeError);
  });

  it("a slashed provider needs m times the stake for the same exposure", () => {
    expect(stakeBackedExposure(100n * T, providerStanding(0))).toBe(100n * T);
    expect(stakeBackedExposure(100n * T, providerStanding(2))).toBe(25n * T);
  });

  it("k stays in [1, 1/(1 − w)): at 1/(1 − w) the refunds would take the whole stake", () => {
    expect(maxExposureFactorBps(8_500)).toBeCloseTo(66_666.67, 1);
    expect(() => checkExposurePolicy({ ...DEFAULT_EXPOSURE_POLICY, factorBps: 9_999 })).toThrow(RangeError);
    expect(() => checkExposurePolicy({ ...DEFAULT_EXPOSURE_POLICY, factorBps: 66_667 })).toThrow(RangeError);
    expect(() => checkExposurePolicy({ ...DEFAULT_EXPOSURE_POLICY, factorBps: 60_000 })).not.toThrow();
    expect(freeStakeForSlash(100n * T, providerStanding(0), { ...DEFAULT_EXPOSURE_POLICY, factorBps: 66_666 })).toBeLessThan(T / 100n);
  });
});

describe("ExposureBook", () => {
  it("a brand-new provider's node takes jobs up to the starter allowance with no stake, and the allowance is shared by its nodes", () => {
    const book = new ExposureBook(
      [
        { nodeId: "a", bonded: 0n, exposure: 0n },
        { nodeId: "b", bonded: 0n, exposure: 0n },
      ],
      providerStanding(0),
    );
    expect(book.headroom("a")).toBe(5n * T);
    expect(book.take("a", 3n * T)).toBe(true);
    expect(book.headroom("b")).toBe(2n * T);
    expect(book.take("b", 3n * T)).toBe(false);
    expect(book.used("b")).toBe(0n);
    expect(book.take("b", 2n * T)).toBe(true);
    expect(book.headroom("a")).toBe(0n);
    expect(book.onAllowance("a")).toBe(true);
    expect(book.take("unknown", 1n)).toBe(false);
  });

  it("stake adds to the allowance; a slashed provider has no allowance", () => {
    const fresh = new ExposureBook([{ nodeId: "a", bonded: 10n * T, exposure: 12n * T }], providerStanding(0));
    expect(fresh.headroom("a")).toBe(3n * T); // 10 own + 5 pool − 12 used
    const slashed = new ExposureBook([{ nodeId: "a", bonded: 10n * T, exposure: 0n }], providerStanding(1));
    expect(slashed.headroom("a")).toBe(5n * T);
    // Unbonded under its held jobs: over the limit, and only the node leaning on nothing is.
    const over = new ExposureBook(
      [
        { nodeId: "a", bonded: 0n, exposure: 7n * T },
        { nodeId: "b", bonded: 3n * T, exposure: 1n * T },
      ],
      providerStanding(0),
    );
    expect(over.overLimit("a")).toBe(true);
    expect(over.overLimit("b")).toBe(false);
    expect(fresh.overLimit("a")).toBe(false);
  });

  it("property: a placement is taken exactly when it fits; the nodes' use of the shared allowance never passes k·A", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ bonded: amount(50n * T), exposure: amount(20n * T) }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 0, max: 4 }),
        fc.array(fc.tuple(fc.nat(4), amount(10n * T)), { maxLength: 40 }),
        (nodes, frauds, placements) => {
          const standing = providerStanding(frauds);
          const named = nodes.map((n, i) => ({ nodeId: `n${i}`, ...n }));
          const book = new ExposureBook(named, standing);
          const overflow = () =>
            named.reduce((s, n) => {
              const own = stakeBackedExposure(n.bonded, standing);
              const used = book.used(n.nodeId);
              return s + (used > own ? used - own : 0n);
            }, 0n);
          const bound = overflow() > standing.starterAllowance ? overflow() : standing.starterAllowance;
          for (const [i, amt] of placements) {
            const id = `n${i % named.length}`;
            const before = book.headroom(id);
            const usedBefore = book.used(id);
            const ok = book.take(id, amt);
            expect(ok).toBe(amt <= before);
            expect(book.used(id)).toBe(ok ? usedBefore + amt : usedBefore);
            expect(overflow() <= bound).toBe(true);
          }
        },
      ),
    );
  });
});

describe("deterrent re-check rate", () => {
  it("is g/(g + D): 1 with nothing to slash (a starter job), tiny for a job small against the stake", () => {
    expect(deterrentRecheckRate(0n, 0n)).toBe(0);
    expect(deterrentRecheckRate(1n, 0n)).toBe(1);
    expect(deterrentRecheckRate(100n, 100n)).toBeCloseTo(0.5, 9);
    // The colluding pair of the issue: 120-token jobs (g = 102) on a 400-token stake.
    const D = freeStakeForSlash(400n * T, providerStanding(0));
    expect(D).toBe(340n * T);
    expect(deterrentRecheckRate(splitReward(120n * T).worker, D)).toBeCloseTo(102 / 442, 6);
  });

  it("property: at that rate, faking a job loses money for every compute saving c ≤ g, counting the clawback", () => {
    fc.assert(
      fc.property(amount(10n ** 9n), amount(10n ** 12n), fc.double({ min: 0, max: 1, noNaN: true }), (g, D, share) => {
        fc.pre(g > 0n);
        const p = deterrentRecheckRate(g, D);
        const c = Number(g) * share;
        // cheat − honest = c − p·(g + D): a caught fake forfeits its payout and the slash.
        const advantage = c - p * (Number(g) + Number(D));
        expect(advantage).toBeLessThanOrEqual(1e-6 * Number(g) + 1e-9);
        // Through the slash formula with c = g: not caught it saves g, caught it saves g but forfeits g + D.
        expect(expectedCheatingGain({ gain: Number(g), p, f: 1, slash: Number(D) })).toBeLessThanOrEqual(1e-6 * Number(g) + 1e-9);
      }),
    );
  });

  it("property: more stake never asks for a higher rate", () => {
    fc.assert(
      fc.property(amount(10n ** 9n), amount(), amount(), (g, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(deterrentRecheckRate(g, hi)).toBeLessThanOrEqual(deterrentRecheckRate(g, lo));
      }),
    );
  });
});

describe("fraud settlement", () => {
  it("claws back every held payout, slashes what the refunds need (at least the deterrent), never more than the stake", () => {
    expect(planFraudSettlement({ held: 85n, slashable: 1_000n, deterrentSlash: 50n, refundsNeeded: 100n })).toEqual({
      clawback: 85n,
      slash: 50n,
      pot: 135n,
      coversAll: true,
    });
    expect(planFraudSettlement({ held: 85n, slashable: 1_000n, deterrentSlash: 5n, refundsNeeded: 300n })).toEqual({
      clawback: 85n,
      slash: 215n,
      pot: 300n,
      coversAll: true,
    });
    expect(planFraudSettlement({ held: 85n, slashable: 10n, deterrentSlash: 500n, refundsNeeded: 300n })).toEqual({
      clawback: 85n,
      slash: 10n,
      pot: 95n,
      coversAll: false,
    });
    expect(allocateRefunds(95n, [100n, 50n])).toEqual([95n, 0n]);
    expect(allocateRefunds(300n, [100n, 50n])).toEqual([100n, 50n]);
  });

  it("property: refunds ≤ what was paid, ≤ clawback + slash; the slash ≤ the stake", () => {
    fc.assert(
      fc.property(
        amount(),
        amount(),
        amount(),
        fc.array(amount(10n ** 9n), { maxLength: 30 }),
        (held, slashable, deterrentSlash, charges) => {
          const refundsNeeded = charges.reduce((s, c) => s + c, 0n);
          const plan = planFraudSettlement({ held, slashable, deterrentSlash, refundsNeeded });
          expect(plan.slash <= slashable).toBe(true);
          expect(plan.pot).toBe(held + plan.slash);
          const refunds = allocateRefunds(plan.pot, charges);
          const total = refunds.reduce((s, r) => s + r, 0n);
          expect(total <= plan.pot && total <= refundsNeeded).toBe(true);
          for (const [i, r] of refunds.entries()) expect(r >= 0n && r <= (charges[i] ?? 0n)).toBe(true);
          if (plan.coversAll) expect(total).toBe(refundsNeeded);
        },
      ),
    );
  });
});

describe("provider probation", () => {
  it("a slashed provider's node starts at the worst allocation and the cap rate until it passes a ladder window of checks", () => {
    expect(worstAllocation()).toBe(0.25);
    expect(providerProbation({ providerFrauds: 0, nodePassedChecks: 0 })).toEqual({
      onProbation: false,
      priorityCap: 1,
      recheckAtCap: false,
    });
    expect(providerProbation({ providerFrauds: 1, nodePassedChecks: 0 })).toEqual({
      onProbation: true,
      priorityCap: 0.25,
      recheckAtCap: true,
    });
    expect(providerProbation({ providerFrauds: 1, nodePassedChecks: 20 }).onProbation).toBe(false);
  });
});
