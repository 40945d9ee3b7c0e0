import type { Db } from "../db-types.ts";

// Membership rows (`memberships`) as the members service reads and writes them; the owners'
// lock is lockOrgOwners (memberships.ts).

/** The `MemberRole` enum. */
export type MemberRole = "owner" | "member";

/** The user's role in the organisation; null when they are not a member. */
export async function findMemberRole(db: Db, opts: { userId: string; orgId: string }): Promise<MemberRole | null> {
  const rows = await db.$queryRaw<{ role: MemberRole }[]>`
    SELECT role::text AS role FROM memberships WHERE user_id = ${opts.userId}::uuid AND org_id = ${opts.orgId}::uuid`;
  return rows[0]?.role ?? null;
}

/** True when a user with this email (as stored: lower-cased) is a member of the organisation. */
export async function isMemberByEmail(db: Db, opts: { orgId: string; email: string }): Promise<boolean> {
  const rows = await db.$queryRaw<{ user_id: string }[]>`
    SELECT m.user_id FROM memberships m JOIN users u ON u.id = m.user_id
    WHERE m.org_id = ${opts.orgId}::uuid AND u.email = ${opts.email}
    LIMIT 1`;
  return rows.length > 0;
}

/** How many organisations the user belongs to. */
export async function countUserMemberships(db: Db, opts: { userId: string }): Promise<number> {
  const rows = await db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM memberships WHERE user_id = ${opts.userId}::uuid`;
  return rows[0]?.n ?? 0;
}

/** Adds the user to the organisation (already a member: a unique violation, 23505). */
export async function insertMembership(db: Db, opts: { userId: string; orgId: string; role: MemberRole }): Promise<void> {
  await db.$executeRaw`
    INSERT INTO memberships (user_id, org_id, role) VALUES (${opts.userId}::uuid, ${opts.orgId}::uuid, ${opts.role}::"MemberRole")`;
}

/** Changes a member's role. Returns the rows changed: 0 when they are not a member. */
export async function updateMemberRole(db: Db, opts: { userId: string; orgId: string; role: MemberRole }): Promise<number> {
  return db.$executeRaw`
    UPDATE memberships SET role = ${opts.role}::"MemberRole" WHERE user_id = ${opts.userId}::uuid AND org_id = ${opts.orgId}::uuid`;
}

/** Removes the user from the organisation. Returns the rows deleted: 0 when they were not a member. */
export async function deleteMembership(db: Db, opts: { userId: string; orgId: string }): Promise<number> {
  return db.$executeRaw`DELETE FROM memberships WHERE user_id = ${opts.userId}::uuid AND org_id = ${opts.orgId}::uuid`;
}
