import type { Db } from "../db-types.ts";
import type { RewardClaimKind } from "../generated/prisma/enums.ts";

export type { RewardClaimKind };

/**
 * A `reward_claims` row as raw SQL reads it: one claim, `paid` to the organisation's earnings,
 * `gross` = paid + haircut taken from its grants. int8 columns arrive as strings from pg and
 * as bigints from Prisma: read them through BigInt().
 */
export interface RewardClaimRow {
  id: string;
  kind: RewardClaimKind;
  /** The one grant claimed from, when the request named one. */
  grant_id: string | null;
  /** The amount asked for (part of what has vested); null = all. */
  requested: bigint | string | null;
  gross: bigint | string;
  paid: bigint | string;
  haircut: bigint | string;
  created_at: Date;
}

/** Locks the organisation's row (FOR UPDATE): it serialises the organisation's claims. False
 * when there is no such organisation. */
export async function lockOrgForClaim(db: Db, opts: { orgId: string }): Promise<boolean> {
  const org = await db.$queryRaw<{ id: string }[]>`SELECT id FROM organizations WHERE id = ${opts.orgId}::uuid FOR UPDATE`;
  return org[0] !== undefined;
}

/** The organisation's claim made with this idempotency key, if any. */
export async function loadClaimByKey(db: Db, opts: { orgId: string; idempotencyKey: string }): Promise<RewardClaimRow | null> {
  const rows = await db.$queryRaw<RewardClaimRow[]>`
    SELECT id, kind::text AS kind, grant_id, requested, gross, paid, haircut, created_at
    FROM reward_claims WHERE org_id = ${opts.orgId}::uuid AND idempotency_key = ${opts.idempotencyKey}`;
  return rows[0] ?? null;
}

/** The organisation's claims, newest first; `limit` is the caller's bound. */
export async function listOrgClaims(db: Db, opts: { orgId: string; limit: number }): Promise<RewardClaimRow[]> {
  return db.$queryRaw<RewardClaimRow[]>`
    SELECT id, kind::text AS kind, grant_id, requested, gross, paid, haircut, created_at
    FROM reward_claims WHERE org_id = ${opts.orgId}::uuid ORDER BY created_at DESC LIMIT ${opts.limit}`;
}

/** What the organisation's claims paid, by the hour they were made, oldest first (the rewards chart). */
export async function sumClaimsByHour(db: Db, opts: { orgId: string }): Promise<{ at_ms: number; paid: string }[]> {
  return db.$queryRaw<{ at_ms: number; paid: string }[]>`
    SELECT (extract(epoch FROM date_trunc('hour', created_at)) * 1000)::float8 AS at_ms, sum(paid)::bigint AS paid
    FROM reward_claims WHERE org_id = ${opts.orgId}::uuid GROUP BY 1 ORDER BY 1`;
}

export interface InsertRewardClaimOptions {
  orgId: string;
  userId: string | null;
  kind: RewardClaimKind;
  grantId: string | null;
  /** The amount asked for; null = all. */
  amount: bigint | null;
  gross: bigint;
  paid: bigint;
  haircut: bigint;
  idempotencyKey: string | null;
}

/** Records a claim; unique per (organisation, idempotency key). */
export async function insertRewardClaim(db: Db, opts: InsertRewardClaimOptions): Promise<RewardClaimRow> {
  const { orgId, userId, kind, grantId, amount, gross, paid, haircut, idempotencyKey } = opts;
  const inserted = await db.$queryRaw<RewardClaimRow[]>`
    INSERT INTO reward_claims (id, org_id, kind, grant_id, requested, gross, paid, haircut, idempotency_key, requested_by)
    VALUES (gen_random_uuid(), ${orgId}::uuid, ${kind}::"RewardClaimKind", ${grantId}::uuid, ${amount}::bigint, ${gross}, ${paid},
            ${haircut}, ${idempotencyKey}, ${userId}::uuid)
    RETURNING id, kind::text AS kind, grant_id, requested, gross, paid, haircut, created_at`;
  return inserted[0] as RewardClaimRow;
}
