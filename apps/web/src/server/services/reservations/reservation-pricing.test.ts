import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { costUpTo, downtimeWithin, grossBetween, outageCredit, periodsBetween } from "./reservation-pricing.ts";

describe("reservation pricing", () => {
  it("an hour of a reference worker costs its CU per hour at the price", () => {
    expect(costUpTo({ cuPerHour: 3600, pricePerCuBaseUnits: 50_000n, elapsedMs: 3_600_000 })).toBe(180_000_000n);
    // Pro rata, rounded up: 1 ms of 1 CU/h at 1 per CU is 1/3 600 000 of a unit → 1.
    expect(costUpTo({ cuPerHour: 1, pricePerCuBaseUnits: 1n, elapsedMs: 1 })).toBe(1n);
    expect(grossBetween({ cuPerHour: 3600, pricePerCuBaseUnits: 40_000n, fromMs: 4_000, toMs: 8_000 })).toBe(160_000n);
  });

  it("however the window is cut into periods, the bills add up to the hold exactly (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.bigInt({ min: 1n, max: 10n ** 9n }),
        fc.integer({ min: 1_000, max: 720 * 3_600_000 }),
        fc.integer({ min: 1, max: 10_000_000 }),
        (cuPerHour, pricePerCu, windowMs, periodArb) => {
          // At most a thousand periods per case: enough cuts, a fast test.
          const periodMs = Math.max(periodArb, Math.ceil(windowMs / 1_000));
          const periods = periodsBetween(new Date(0), new Date(windowMs), periodMs, 1_000);
          let sum = 0n;
          for (const p of periods)
            sum += grossBetween({ cuPerHour, pricePerCuBaseUnits: pricePerCu, fromMs: p.start.getTime(), toMs: p.end.getTime() });
          expect(sum).toBe(costUpTo({ cuPerHour, pricePerCuBaseUnits: pricePerCu, elapsedMs: windowMs }));
          expect(periods.at(-1)?.end.getTime()).toBe(windowMs);
        },
      ),
    );
  });

  it("an outage credit is the downtime's share of the gross, never more than the gross (property)", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 15n }),
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.integer({ min: 1, max: 10_000_000 }),
        (gross, downtimeMs, periodMs) => {
          const credit = outageCredit({ gross, downtimeMs, periodMs });
          expect(credit >= 0n && credit <= gross).toBe(true);
          if (downtimeMs >= periodMs) expect(credit).toBe(gross);
          if (downtimeMs === 0) expect(credit).toBe(0n);
        },
      ),
    );
    expect(outageCredit({ gross: 1_000n, downtimeMs: 1_500, periodMs: 4_000 })).toBe(375n);
  });

  it("downtime is the outages' overlap with the period; an open outage runs to its end", () => {
    const at = (ms: number) => new Date(ms);
    const outages = [
      { startedAt: at(-5_000), endedAt: at(1_000) },
      { startedAt: at(2_500), endedAt: at(3_000) },
      { startedAt: at(3_500), endedAt: null },
    ];
    expect(downtimeWithin(outages, at(0), at(4_000))).toBe(1_000 + 500 + 500);
    expect(downtimeWithin(outages, at(4_000), at(8_000))).toBe(4_000);
    expect(downtimeWithin([], at(0), at(4_000))).toBe(0);
    // Overlapping outages never count more than the period.
    expect(
      downtimeWithin(
        [
          { startedAt: at(0), endedAt: null },
          { startedAt: at(0), endedAt: null },
        ],
        at(0),
        at(10),
      ),
    ).toBe(10);
  });

  it("cuts a window into whole periods and a shorter last one, at most `max`", () => {
    const p = periodsBetween(new Date(0), new Date(10_000), 4_000, 10);
    expect(p.map((x) => [x.start.getTime(), x.end.getTime()])).toEqual([
      [0, 4_000],
      [4_000, 8_000],
      [8_000, 10_000],
    ]);
    expect(periodsBetween(new Date(0), new Date(10_000), 4_000, 2)).toHaveLength(2);
    expect(periodsBetween(new Date(5), new Date(5), 4_000, 2)).toEqual([]);
  });
});
