import type { Db } from "../db-types.ts";
import type { NodeRole } from "./node-row.ts";

// Issuing and spending one-time registration tokens (`registration_tokens`); the lock that
// reads one for spending is lockRegistrationToken (node-registration.ts).

/** Makes a customer organisation `both` (registering a node makes it a provider too); a
 * provider or `both` organisation is left as it is. Returns the rows changed (0 or 1). */
export async function makeOrgProvider(db: Db, opts: { orgId: string }): Promise<number> {
  return db.$executeRaw`UPDATE organizations SET kind = 'both' WHERE id = ${opts.orgId}::uuid AND kind = 'customer'`;
}

export interface InsertRegistrationTokenOptions {
  orgId: string;
  /** sha256 of the token (hex): the token itself is shown once and never stored. */
  tokenHash: string;
  role: NodeRole;
  expiresAt: Date;
}

/** Records an issued token; returns its id. */
export async function insertRegistrationToken(db: Db, opts: InsertRegistrationTokenOptions): Promise<string> {
  // The columns are `timestamp` (no zone) holding UTC, as Prisma writes them: the instant goes
  // in as UTC text, so neither this process's TZ nor the session's TimeZone shifts it.
  const rows = await db.$queryRaw<{ id: string }[]>`
    INSERT INTO registration_tokens (id, org_id, token_hash, role, expires_at)
    VALUES (gen_random_uuid(), ${opts.orgId}::uuid, ${opts.tokenHash}, ${opts.role}::"NodeRole",
            (${opts.expiresAt.toISOString()}::timestamptz AT TIME ZONE 'UTC'))
    RETURNING id`;
  return rows[0]?.id as string;
}

/** Marks a token (locked by lockRegistrationToken in the same transaction) used by the node
 * it registered. Returns the rows changed (1, or 0 for an unknown id). */
export async function spendRegistrationToken(db: Db, opts: { tokenId: string; nodeId: string; usedAt: Date }): Promise<number> {
  return db.$executeRaw`
    UPDATE registration_tokens
    SET used_at = (${opts.usedAt.toISOString()}::timestamptz AT TIME ZONE 'UTC'), node_id = ${opts.nodeId}::uuid
    WHERE id = ${opts.tokenId}::uuid`;
}
