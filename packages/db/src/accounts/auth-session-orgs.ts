import type { Db } from "../db-types.ts";

/**
 * Makes `orgId` the session's active organisation (what the dashboard shows; checked
 * against memberships on every request). Sets updated_at as Prisma's @updatedAt did: the
 * column has no trigger. Returns the rows changed: 0 when there is no such session.
 */
export async function setSessionActiveOrg(db: Db, opts: { sessionId: string; orgId: string }): Promise<number> {
  // updated_at is `timestamp` (no zone) holding UTC, as Prisma writes it.
  return db.$executeRaw`
    UPDATE auth_sessions SET active_org_id = ${opts.orgId}::uuid, updated_at = (now() AT TIME ZONE 'UTC')
    WHERE id = ${opts.sessionId}::uuid`;
}
