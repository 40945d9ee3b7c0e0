import type { Db } from "../db-types.ts";
import type { NodeRole } from "./node-row.ts";

export interface RegistrationTokenRow {
  id: string;
  org_id: string;
  role: NodeRole;
  expires_at: Date;
  used_at: Date | null;
}

/**
 * Locks the one-time registration token with this hash (FOR UPDATE, inside the caller's
 * transaction, so two nodes cannot both spend it) and reads it; null when there is none.
 */
export async function lockRegistrationToken(db: Db, opts: { tokenHash: string }): Promise<RegistrationTokenRow | null> {
  const rows = await db.$queryRaw<RegistrationTokenRow[]>`
      SELECT id, org_id, role::text AS role, expires_at, used_at FROM registration_tokens
      WHERE token_hash = ${opts.tokenHash} FOR UPDATE`;
  return rows[0] ?? null;
}

/**
 * Binds one of the provider's unused checker licences (the oldest granted) to the new
 * checker node. Returns how many were bound: 0 when the provider has none left.
 */
export async function bindCheckerLicence(db: Db, opts: { nodeId: string; orgId: string }): Promise<number> {
  return db.$executeRaw`
        UPDATE checker_licences SET node_id = ${opts.nodeId}::uuid
        WHERE id = (SELECT id FROM checker_licences WHERE org_id = ${opts.orgId}::uuid AND node_id IS NULL AND revoked_at IS NULL
                    ORDER BY granted_at LIMIT 1 FOR UPDATE SKIP LOCKED)`;
}
