import type { Db } from "../db-types.ts";
import type { RewardRole } from "../generated/prisma/enums.ts";

export type { RewardRole };

/**
 * A `reward_grants` row as raw SQL reads it: an organisation's reward for one role in one
 * epoch, vesting linearly from vest_start to vest_end. int8 columns arrive as strings from pg
 * and as bigints from Prisma: read them through BigInt().
 */
export interface RewardGrantRow {
  id: string;
  epoch: number;
  role: RewardRole;
  amount: bigint | string;
  /** What the share was computed from: milli-CU delivered (workers), checks (checkers). */
  basis: bigint | string;
  vest_start: Date;
  vest_end: Date;
  /** Went to the organisation's earnings. */
  released: bigint | string;
  /** The early-claim haircut, back to the emission pool. */
  forfeited: bigint | string;
  created_at: Date;
}

/** The organisation's grants summed (all null when it has none). */
export async function sumOrgGrants(
  db: Db,
  opts: { orgId: string },
): Promise<{ granted: string | null; released: string | null; forfeited: string | null }> {
  const totals = await db.$queryRaw<{ granted: string | null; released: string | null; forfeited: string | null }[]>`
    SELECT sum(amount)::bigint AS granted, sum(released)::bigint AS released, sum(forfeited)::bigint AS forfeited
    FROM reward_grants WHERE org_id = ${opts.orgId}::uuid`;
  return totals[0] ?? { granted: null, released: null, forfeited: null };
}

/** The organisation's grants with something left to claim. */
export async function loadOpenGrants(db: Db, opts: { orgId: string }): Promise<RewardGrantRow[]> {
  return db.$queryRaw<RewardGrantRow[]>`
    SELECT id, epoch, role::text AS role, amount, basis, vest_start, vest_end, released, forfeited, created_at
    FROM reward_grants WHERE org_id = ${opts.orgId}::uuid AND released + forfeited < amount`;
}

/** The organisation's newest grants (by vesting start); `limit` is the caller's bound. */
export async function listRecentGrants(db: Db, opts: { orgId: string; limit: number }): Promise<RewardGrantRow[]> {
  return db.$queryRaw<RewardGrantRow[]>`
    SELECT id, epoch, role::text AS role, amount, basis, vest_start, vest_end, released, forfeited, created_at
    FROM reward_grants WHERE org_id = ${opts.orgId}::uuid ORDER BY vest_start DESC, id LIMIT ${opts.limit}`;
}

export interface GrantHourRow {
  start_ms: number;
  end_ms: number;
  amount: string;
  /** released + forfeited. */
  settled: string;
}

/** The rewards chart: the organisation's grants grouped by the hour they start vesting (and
 * their vesting length), oldest first: a bounded number of rows. */
export async function sumGrantsByVestHour(db: Db, opts: { orgId: string }): Promise<GrantHourRow[]> {
  return db.$queryRaw<GrantHourRow[]>`
    SELECT (extract(epoch FROM min(vest_start)) * 1000)::float8 AS start_ms, (extract(epoch FROM max(vest_end)) * 1000)::float8 AS end_ms,
           sum(amount)::bigint AS amount, sum(released + forfeited)::bigint AS settled
    FROM reward_grants WHERE org_id = ${opts.orgId}::uuid
    GROUP BY date_trunc('hour', vest_start), vest_end - vest_start ORDER BY 1`;
}

/** Whether the grant exists and is the organisation's. */
export async function isOrgGrant(db: Db, opts: { orgId: string; grantId: string }): Promise<boolean> {
  const own = await db.$queryRaw<{ id: string }[]>`
    SELECT id FROM reward_grants WHERE id = ${opts.grantId}::uuid AND org_id = ${opts.orgId}::uuid`;
  return own[0] !== undefined;
}

/** Locks (FOR UPDATE) the organisation's grants with something left to claim, oldest vesting
 * first; only `grantId` when given. */
export async function lockOpenGrants(db: Db, opts: { orgId: string; grantId: string | null }): Promise<RewardGrantRow[]> {
  return db.$queryRaw<RewardGrantRow[]>`
    SELECT id, epoch, role::text AS role, amount, basis, vest_start, vest_end, released, forfeited, created_at
    FROM reward_grants
    WHERE org_id = ${opts.orgId}::uuid AND released + forfeited < amount AND (${opts.grantId}::uuid IS NULL OR id = ${opts.grantId}::uuid)
    ORDER BY vest_start, id FOR UPDATE`;
}

export interface GrantTake {
  id: string;
  /** Added to the grant's `released`. */
  paid: bigint;
  /** Added to the grant's `forfeited`. */
  haircut: bigint;
}

/** Records what a claim took from each grant, in one statement. */
export async function releaseFromGrants(db: Db, opts: { takes: readonly GrantTake[] }): Promise<void> {
  const ids = opts.takes.map((t) => t.id);
  const paid = opts.takes.map((t) => t.paid.toString());
  const haircut = opts.takes.map((t) => t.haircut.toString());
  await db.$executeRaw`
    UPDATE reward_grants g SET released = g.released + t.paid, forfeited = g.forfeited + t.haircut
    FROM unnest(${ids}::uuid[], ${paid}::bigint[], ${haircut}::bigint[])
      AS t(id, paid, haircut)
    WHERE g.id = t.id`;
}

export interface NewGrant {
  orgId: string;
  role: RewardRole;
  amount: bigint;
  basis: bigint;
}

export interface InsertRewardGrantsOptions {
  epoch: number;
  grants: readonly NewGrant[];
  vestStart: Date;
  vestEnd: Date;
}

/** Inserts the epoch's grants in one statement; one per (epoch, organisation, role): a second
 * insert adds nothing. */
export async function insertRewardGrants(db: Db, opts: InsertRewardGrantsOptions): Promise<void> {
  const { epoch, grants, vestStart, vestEnd } = opts;
  const orgIds = grants.map((g) => g.orgId);
  const roles = grants.map((g) => g.role);
  const amounts = grants.map((g) => g.amount.toString());
  const bases = grants.map((g) => g.basis.toString());
  await db.$executeRaw`
    INSERT INTO reward_grants (id, epoch, org_id, role, amount, basis, vest_start, vest_end)
    SELECT gen_random_uuid(), ${epoch}, g.org_id, g.role::"RewardRole", g.amount, g.basis, ${vestStart}, ${vestEnd}
    FROM unnest(${orgIds}::uuid[], ${roles}::text[],
                ${amounts}::bigint[], ${bases}::bigint[]) AS g(org_id, role, amount, basis)
    ON CONFLICT (epoch, org_id, role) DO NOTHING`;
}
