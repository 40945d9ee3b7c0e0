import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { claimableAt, earlyClaimOf, emissionAt, haircutOf, splitByRole, splitProportional, vestedAt } from "./schedule.ts";

const DAY = 86_400_000;

describe("the emission schedule", () => {
  const s = { perEpoch: 100_000_000n, decayBps: 200n, decayEveryMs: 30 * DAY, genesisMs: Date.UTC(2026, 11, 1) };
  it("emits nothing before genesis, the full amount in the first period, then decays by steps", () => {
    expect(emissionAt(s, s.genesisMs - 1)).toBe(0n);
    expect(emissionAt(s, s.genesisMs)).toBe(100_000_000n);
    expect(emissionAt(s, s.genesisMs + 30 * DAY - 1)).toBe(100_000_000n);
    expect(emissionAt(s, s.genesisMs + 30 * DAY)).toBe(98_000_000n);
    expect(emissionAt(s, s.genesisMs + 60 * DAY)).toBe(96_040_000n);
    expect(emissionAt({ ...s, decayBps: 0n }, s.genesisMs + 3_650 * DAY)).toBe(100_000_000n);
    expect(emissionAt({ ...s, decayBps: 10_000n }, s.genesisMs + 30 * DAY)).toBe(0n);
  });
  it("never grows", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: 0, max: 1_000 }), (days, more) => {
        const a = emissionAt(s, s.genesisMs + days * DAY);
        expect(emissionAt(s, s.genesisMs + (days + more) * DAY) <= a).toBe(true);
      }),
    );
  });
});

describe("splits", () => {
  it("by role and in proportion, rounded down, never above the total", () => {
    expect(splitByRole(1_000n, { workerBps: 7_000n, checkerBps: 2_000n, platformBps: 1_000n })).toEqual({
      worker: 700n,
      checker: 200n,
      platform: 100n,
    });
    expect([
      ...splitProportional(
        100n,
        new Map([
          ["a", 3n],
          ["b", 1n],
          ["c", 0n],
        ]),
      ),
    ]).toEqual([
      ["a", 75n],
      ["b", 25n],
    ]);
    expect(splitProportional(100n, new Map([["a", 0n]])).size).toBe(0);
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 15n }),
        fc.array(fc.bigInt({ min: 0n, max: 10n ** 12n }), { maxLength: 20 }),
        (total, ws) => {
          const parts = splitProportional(total, new Map(ws.map((w, i) => [i, w])));
          const sum = [...parts.values()].reduce((a, b) => a + b, 0n);
          expect(sum <= total).toBe(true);
          // Dust is at most one base unit per recipient.
          if (ws.some((w) => w > 0n)) expect(total - sum <= BigInt(ws.length)).toBe(true);
        },
      ),
    );
  });
});

describe("vesting", () => {
  const g = { amount: 1_000n, vestStartMs: 0, vestEndMs: 100, released: 0n, forfeited: 0n };
  it("is linear between start and end", () => {
    expect(vestedAt(g, -5)).toBe(0n);
    expect(vestedAt(g, 50)).toBe(500n);
    expect(vestedAt(g, 100)).toBe(1_000n);
    expect(vestedAt(g, 1e9)).toBe(1_000n);
    expect(vestedAt({ ...g, vestEndMs: 0 }, 0)).toBe(1_000n);
  });
  it("claimable never exceeds vested less released; an early claim pays what is left less the haircut on the unvested part", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 15n }),
        fc.integer({ min: -10, max: 200 }),
        fc.bigInt({ min: 0n, max: 10_000n }),
        fc.integer({ min: 0, max: 100 }),
        (amount, at, bps, releasedAt) => {
          const released = vestedAt({ ...g, amount }, releasedAt);
          const st = { ...g, amount, released };
          const c = claimableAt(st, at);
          expect(c >= 0n && released + c <= vestedAt(st, Math.max(at, releasedAt))).toBe(true);
          const e = earlyClaimOf(st, at, bps);
          expect(e.gross).toBe(amount - released);
          expect(e.paid + e.haircut).toBe(e.gross);
          expect(e.haircut).toBe(haircutOf(amount - released - c, bps));
        },
      ),
    );
  });
  it("rounds the haircut up", () => {
    expect(haircutOf(3n, 5_000n)).toBe(2n);
    expect(haircutOf(0n, 5_000n)).toBe(0n);
    expect(haircutOf(10n, 0n)).toBe(0n);
  });
});
