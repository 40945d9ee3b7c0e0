import type { Db } from "../db-types.ts";
import type { ChainHex } from "./withdrawals.ts";

// A message the server asks a provider to sign to prove it holds an address's key
// (`payout_address_challenges`): works once, for its organisation only, before it expires.

/** A challenge as its verification reads it. */
export interface PayoutAddressChallengeRow {
  address: ChainHex;
  message: string;
  expires_at: Date;
  /** expires_at <= now(), by the database's clock. */
  expired: boolean;
  used_at: Date | null;
}

/** Locks the organisation's row (FOR UPDATE: its challenges are counted and issued one at a
 * time) and reads its name; null when there is no such organisation. */
export async function lockOrgForChallenge(db: Db, opts: { orgId: string }): Promise<string | null> {
  const org = await db.$queryRaw<{ name: string }[]>`SELECT name FROM organizations WHERE id = ${opts.orgId}::uuid FOR UPDATE`;
  return org[0]?.name ?? null;
}

/** Challenges the organisation was issued in the last hour. */
export async function countRecentChallenges(db: Db, opts: { orgId: string }): Promise<number> {
  const recent = await db.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM payout_address_challenges WHERE org_id = ${opts.orgId}::uuid AND created_at > now() - interval '1 hour'`;
  return recent[0]?.n ?? 0;
}

export interface InsertChallengeOptions {
  orgId: string;
  address: string;
  /** Random, unique. */
  nonce: string;
  message: string;
  expiresAt: Date;
}

/** Records an issued challenge; returns its id. */
export async function insertChallenge(db: Db, opts: InsertChallengeOptions): Promise<string> {
  const rows = await db.$queryRaw<{ id: string }[]>`
    INSERT INTO payout_address_challenges (id, org_id, address, nonce, message, expires_at)
    VALUES (gen_random_uuid(), ${opts.orgId}::uuid, ${opts.address}, ${opts.nonce}, ${opts.message}, ${opts.expiresAt})
    RETURNING id`;
  return rows[0]?.id as string;
}

/** Locks the organisation's challenge (FOR UPDATE); null when it has none with this id. */
export async function lockChallenge(db: Db, opts: { orgId: string; challengeId: string }): Promise<PayoutAddressChallengeRow | null> {
  const rows = await db.$queryRaw<PayoutAddressChallengeRow[]>`
    SELECT address, message, expires_at, expires_at <= now() AS expired, used_at FROM payout_address_challenges
    WHERE id = ${opts.challengeId}::uuid AND org_id = ${opts.orgId}::uuid FOR UPDATE`;
  return rows[0] ?? null;
}

export async function markChallengeUsed(db: Db, opts: { challengeId: string }): Promise<void> {
  await db.$executeRaw`UPDATE payout_address_challenges SET used_at = now() WHERE id = ${opts.challengeId}::uuid`;
}

/** Deletes challenges expired for a day; returns how many. */
export async function purgeExpiredChallenges(db: Db): Promise<number> {
  return db.$executeRaw`DELETE FROM payout_address_challenges WHERE expires_at < now() - interval '1 day'`;
}
