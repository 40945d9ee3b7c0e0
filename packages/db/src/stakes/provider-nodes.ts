import type { Db } from "../db-types.ts";

/** A node as the stake paths read it: its id and the provider (organisation) that owns it. */
export interface ProviderNodeRow {
  id: string;
  org_id: string;
}

/**
 * Locks a node that is not removed (FOR UPDATE), for a stake or unbond transfer on it.
 * The caller checks the owner: another provider's node must look exactly like a missing one.
 */
export async function lockProviderNode(db: Db, opts: { nodeId: string }): Promise<ProviderNodeRow | undefined> {
  const rows = await db.$queryRaw<ProviderNodeRow[]>`
    SELECT id, org_id FROM nodes WHERE id = ${opts.nodeId}::uuid AND removed_at IS NULL FOR UPDATE`;
  return rows[0];
}

/** Whether the organisation owns the node (removed nodes included). */
export async function isNodeOwnedBy(db: Db, opts: { nodeId: string; orgId: string }): Promise<boolean> {
  const owned = await db.$queryRaw<Pick<ProviderNodeRow, "id">[]>`
    SELECT id FROM nodes WHERE id = ${opts.nodeId}::uuid AND org_id = ${opts.orgId}::uuid`;
  return owned.length > 0;
}
