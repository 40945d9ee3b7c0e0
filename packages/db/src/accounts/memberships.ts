import type { Db } from "../db-types.ts";

/**
 * The organisation's owners, their membership rows locked (FOR UPDATE) for the caller's
 * transaction: two owners demoting or removing each other cannot leave none.
 */
export async function lockOrgOwners(db: Db, opts: { orgId: string }): Promise<{ user_id: string }[]> {
  return db.$queryRaw<{ user_id: string }[]>`
    SELECT user_id FROM memberships WHERE org_id = ${opts.orgId}::uuid AND role = 'owner' FOR UPDATE`;
}
