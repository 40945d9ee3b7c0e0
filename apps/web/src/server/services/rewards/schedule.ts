// The reward model's arithmetic, pure and in integer base units (1 token = 10^6): the
// decaying emission schedule, the split of an epoch's emission between roles and, inside a
// role, between organisations, linear vesting, and the early-claim haircut. No database.

export const BPS = 10_000n;

export interface EmissionSchedule {
  /** Base units emitted by the first epoch at or after `genesisMs`. */
  perEpoch: bigint;
  /** Basis points the emission shrinks by at each step (compounding). */
  decayBps: bigint;
  /** One decay step every this long. */
  decayEveryMs: number;
  /** Epochs starting before this emit nothing. */
  genesisMs: number;
}

/** The emission of an epoch starting at `epochStartMs`: perEpoch × (1 − decay)^steps, rounded down. */
export function emissionAt(s: EmissionSchedule, epochStartMs: number): bigint {
  if (epochStartMs < s.genesisMs || s.perEpoch <= 0n) return 0n;
  const steps = Math.floor((epochStartMs - s.genesisMs) / s.decayEveryMs);
  let amount = s.perEpoch;
  // A bound on the loop: past 100 000 steps any decay has long reached zero (or there is none).
  if (s.decayBps === 0n) return amount;
  for (let i = 0; i < steps && amount > 0n; i++) {
    if (i >= 100_000) return 0n;
    amount = (amount * (BPS - s.decayBps)) / BPS;
  }
  return amount;
}

export interface RoleShares {
  workerBps: bigint;
  checkerBps: bigint;
  platformBps: bigint;
}

/** An epoch's emission by role (rounded down; the dust stays in the pool). */
export function splitByRole(total: bigint, shares: RoleShares): { worker: bigint; checker: bigint; platform: bigint } {
  return {
    worker: (total * shares.workerBps) / BPS,
    checker: (total * shares.checkerBps) / BPS,
    platform: (total * shares.platformBps) / BPS,
  };
}

/**
 * `total` split in proportion to each weight, each share rounded down (so the parts never
 * add up to more than `total`). Zero weights get nothing; no positive weight: nothing at all.
 */
export function splitProportional<K>(total: bigint, weights: ReadonlyMap<K, bigint>): Map<K, bigint> {
  const out = new Map<K, bigint>();
  let sum = 0n;
  for (const w of weights.values()) if (w > 0n) sum += w;
  if (total <= 0n || sum === 0n) return out;
  for (const [k, w] of weights) {
    if (w <= 0n) continue;
    const part = (total * w) / sum;
    if (part > 0n) out.set(k, part);
  }
  return out;
}

export interface VestingGrant {
  amount: bigint;
  vestStartMs: number;
  vestEndMs: number;
}

/** What of a grant has vested at `atMs`: linear from start to end, rounded down. */
export function vestedAt(g: VestingGrant, atMs: number): bigint {
  if (atMs <= g.vestStartMs) return g.vestEndMs <= g.vestStartMs && atMs >= g.vestEndMs ? g.amount : 0n;
  if (atMs >= g.vestEndMs) return g.amount;
  return (g.amount * BigInt(Math.floor(atMs - g.vestStartMs))) / BigInt(g.vestEndMs - g.vestStartMs);
}

/** The early-claim haircut on an unvested amount: basis points of it, rounded up. */
export function haircutOf(unvested: bigint, haircutBps: bigint): bigint {
  if (unvested <= 0n) return 0n;
  return (unvested * haircutBps + BPS - 1n) / BPS;
}

export interface GrantState extends VestingGrant {
  released: bigint;
  forfeited: bigint;
}

/** What a vested claim of this grant may take now. */
export function claimableAt(g: GrantState, atMs: number): bigint {
  if (g.released + g.forfeited >= g.amount) return 0n;
  const v = vestedAt(g, atMs) - g.released;
  return v > 0n ? v : 0n;
}

/**
 * An early claim of everything left of a grant: the vested part in full, the unvested part
 * less the haircut. `gross` leaves the grant; `paid` reaches the earnings; `haircut` goes
 * back to the emission pool.
 */
export function earlyClaimOf(g: GrantState, atMs: number, haircutBps: bigint): { gross: bigint; paid: bigint; haircut: bigint } {
  const left = g.amount - g.released - g.forfeited;
  if (left <= 0n) return { gross: 0n, paid: 0n, haircut: 0n };
  const vested = claimableAt(g, atMs);
  const unvested = left - vested;
  const haircut = haircutOf(unvested, haircutBps);
  return { gross: left, paid: left - haircut, haircut };
}
