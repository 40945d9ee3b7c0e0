// The arithmetic of a reservation's bill, pure: integers only (money is bigint base units,
// time is milliseconds), so the web app, the coordinator and the tests agree to the unit.

export const MS_PER_HOUR = 3_600_000n;

function ceilDiv(a: bigint, b: bigint): bigint {
  if (a < 0n || b <= 0n) throw new RangeError(`ceilDiv needs a ≥ 0 and b > 0, got ${a} / ${b}`);
  return (a + b - 1n) / b;
}

/**
 * What one reserved worker has cost from the start of its reservation to `elapsedMs` into
 * it: cuPerHour × pricePerCuBaseUnits × hours, rounded up. Every bill is a difference of two of
 * these, so however the window is cut into periods (hourly, a partial last one, an early
 * release), the periods add up to exactly what was held at booking — rounding never
 * accumulates (a per-period ceil could overcharge by one unit per period per worker).
 */
export function costUpTo(opts: { cuPerHour: number; pricePerCuBaseUnits: bigint; elapsedMs: number }): bigint {
  if (!Number.isInteger(opts.cuPerHour) || opts.cuPerHour < 0)
    throw new RangeError(`cuPerHour must be a non-negative integer, got ${opts.cuPerHour}`);
  if (!Number.isInteger(opts.elapsedMs) || opts.elapsedMs < 0)
    throw new RangeError(`elapsedMs must be a non-negative integer, got ${opts.elapsedMs}`);
  return ceilDiv(BigInt(opts.cuPerHour) * opts.pricePerCuBaseUnits * BigInt(opts.elapsedMs), MS_PER_HOUR);
}

/** The gross of one worker for [fromMs, toMs), both measured from the reservation's start. */
export function grossBetween(opts: { cuPerHour: number; pricePerCuBaseUnits: bigint; fromMs: number; toMs: number }): bigint {
  if (opts.toMs < opts.fromMs) throw new RangeError(`period ends (${opts.toMs}) before it starts (${opts.fromMs})`);
  return costUpTo({ ...opts, elapsedMs: opts.toMs }) - costUpTo({ ...opts, elapsedMs: opts.fromMs });
}

/** Milliseconds of [from, to) covered by the outages (an open outage runs to `to`); never
 * more than the period, even if outages were to overlap. */
export function downtimeWithin(outages: readonly { startedAt: Date; endedAt: Date | null }[], from: Date, to: Date): number {
  const a = from.getTime();
  const b = to.getTime();
  let total = 0;
  for (const o of outages) {
    const start = Math.max(a, o.startedAt.getTime());
    const end = Math.min(b, o.endedAt?.getTime() ?? b);
    if (end > start) total += end - start;
  }
  return Math.min(total, Math.max(0, b - a));
}

/** The credit for `downtimeMs` of a period of `periodMs`: the downtime's share of the
 * gross, rounded down (the customer never gets more back than it paid). */
export function outageCredit(opts: { gross: bigint; downtimeMs: number; periodMs: number }): bigint {
  if (opts.periodMs <= 0 || opts.downtimeMs <= 0) return 0n;
  const down = BigInt(Math.min(opts.downtimeMs, opts.periodMs));
  return (opts.gross * down) / BigInt(opts.periodMs);
}

/**
 * The billing periods of [from, until): whole periods of `periodMs` from `from`, the last
 * one cut at `until`. `until` is the end of the window, or now for an early release.
 */
export function periodsBetween(from: Date, until: Date, periodMs: number, max: number): { start: Date; end: Date }[] {
  const out: { start: Date; end: Date }[] = [];
  let start = from.getTime();
  const stop = until.getTime();
  while (start < stop && out.length < max) {
    const end = Math.min(start + periodMs, stop);
    out.push({ start: new Date(start), end: new Date(end) });
    start = end;
  }
  return out;
}
