import type { Db } from "../db-types.ts";
import type { MemberRole } from "./member-rows.ts";

// Invitations to join an organisation (`invitations`) as the members service writes them in
// its transactions.
// Times are `timestamp` (no zone) columns holding UTC, as Prisma writes them: instants go in
// as UTC text and come out `AT TIME ZONE 'UTC'`, so neither this process's TZ nor the
// session's TimeZone shifts them.

/** Invitations the organisation created after `since` (any outcome). */
export async function countInvitationsSince(db: Db, opts: { orgId: string; since: Date }): Promise<number> {
  const rows = await db.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM invitations
    WHERE org_id = ${opts.orgId}::uuid AND created_at > (${opts.since.toISOString()}::timestamptz AT TIME ZONE 'UTC')`;
  return rows[0]?.n ?? 0;
}

/** Revokes the organisation's open invitations to `email` that expired by `now`. Returns how many. */
export async function revokeExpiredInvitations(db: Db, opts: { orgId: string; email: string; now: Date }): Promise<number> {
  return db.$executeRaw`
    UPDATE invitations SET revoked_at = (${opts.now.toISOString()}::timestamptz AT TIME ZONE 'UTC')
    WHERE org_id = ${opts.orgId}::uuid AND email = ${opts.email} AND accepted_at IS NULL AND revoked_at IS NULL
      AND expires_at <= (${opts.now.toISOString()}::timestamptz AT TIME ZONE 'UTC')`;
}

/** The organisation's invitations neither accepted nor revoked (expired ones included). */
export async function countOpenInvitations(db: Db, opts: { orgId: string }): Promise<number> {
  const rows = await db.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM invitations WHERE org_id = ${opts.orgId}::uuid AND accepted_at IS NULL AND revoked_at IS NULL`;
  return rows[0]?.n ?? 0;
}

/** True when the organisation has an invitation to `email` neither accepted nor revoked. */
export async function hasOpenInvitation(db: Db, opts: { orgId: string; email: string }): Promise<boolean> {
  const rows = await db.$queryRaw<{ id: string }[]>`
    SELECT id FROM invitations
    WHERE org_id = ${opts.orgId}::uuid AND email = ${opts.email} AND accepted_at IS NULL AND revoked_at IS NULL
    LIMIT 1`;
  return rows.length > 0;
}

export interface InsertInvitationOptions {
  orgId: string;
  /** Lower-cased (a check constraint holds it). */
  email: string;
  role: MemberRole;
  /** sha256 of the link's secret (hex): the secret itself is never stored. */
  tokenHash: string;
  invitedBy: string;
  expiresAt: Date;
}

export interface InsertedInvitation {
  id: string;
  email: string;
  role: MemberRole;
  expiresAt: Date;
}

/** Creates an invitation. A second open one to the same address is a unique violation (23505,
 * the partial index invitations_open_org_email_idx). */
export async function insertInvitation(db: Db, opts: InsertInvitationOptions): Promise<InsertedInvitation> {
  const rows = await db.$queryRaw<InsertedInvitation[]>`
    INSERT INTO invitations (id, org_id, email, role, token_hash, invited_by, expires_at)
    VALUES (gen_random_uuid(), ${opts.orgId}::uuid, ${opts.email}, ${opts.role}::"MemberRole", ${opts.tokenHash},
            ${opts.invitedBy}::uuid, (${opts.expiresAt.toISOString()}::timestamptz AT TIME ZONE 'UTC'))
    RETURNING id, email, role::text AS role, expires_at AT TIME ZONE 'UTC' AS "expiresAt"`;
  const row = rows[0];
  if (!row) throw new Error("insertInvitation: INSERT … RETURNING returned no row");
  return row;
}

/** The organisation's name and the inviting user's name and email, for the invitation email;
 * null when either is missing. */
export async function loadInvitationSender(
  db: Db,
  opts: { orgId: string; userId: string },
): Promise<{ orgName: string; inviterName: string; inviterEmail: string } | null> {
  const rows = await db.$queryRaw<{ orgName: string; inviterName: string; inviterEmail: string }[]>`
    SELECT o.name AS "orgName", u.name AS "inviterName", u.email AS "inviterEmail"
    FROM organizations o, users u
    WHERE o.id = ${opts.orgId}::uuid AND u.id = ${opts.userId}::uuid`;
  return rows[0] ?? null;
}

/**
 * Marks the invitation accepted at `now` if it is still open and unexpired then: the
 * condition is in the update, so two tabs cannot both accept. Returns the rows changed (0: used,
 * withdrawn or expired).
 */
export async function claimInvitation(db: Db, opts: { invitationId: string; now: Date }): Promise<number> {
  return db.$executeRaw`
    UPDATE invitations SET accepted_at = (${opts.now.toISOString()}::timestamptz AT TIME ZONE 'UTC')
    WHERE id = ${opts.invitationId}::uuid AND accepted_at IS NULL AND revoked_at IS NULL
      AND expires_at > (${opts.now.toISOString()}::timestamptz AT TIME ZONE 'UTC')`;
}
