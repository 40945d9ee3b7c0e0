import type { Db } from "../db-types.ts";

/** Whether the node holds a checker licence that was not revoked. */
export async function hasActiveCheckerLicence(db: Db, opts: { nodeId: string }): Promise<boolean> {
  const lic = await db.$queryRaw<{ id: string }[]>`
    SELECT id FROM checker_licences WHERE node_id = ${opts.nodeId}::uuid AND revoked_at IS NULL`;
  return lic.length > 0;
}
