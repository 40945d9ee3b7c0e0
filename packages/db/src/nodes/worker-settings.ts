import type { Db } from "../db-types.ts";
import type { NodeRow } from "./node-row.ts";

// What a provider changes about one of its workers: its name, whether it takes new work
// (paused_at), and its asking price.

/**
 * Locks the organisation's node with this id unless it was removed (FOR UPDATE, inside the
 * caller's transaction) and reads its role; null when it has no such node.
 */
export async function lockOrgNodeRole(db: Db, opts: { orgId: string; nodeId: string }): Promise<NodeRow["role"] | null> {
  const rows = await db.$queryRaw<Pick<NodeRow, "role">[]>`
      SELECT role::text AS role FROM nodes
      WHERE id = ${opts.nodeId}::uuid AND org_id = ${opts.orgId}::uuid AND removed_at IS NULL FOR UPDATE`;
  return rows[0]?.role ?? null;
}

/** The role of the organisation's node with this id (removed or not); null when it has no such node. */
export async function findOrgNodeRole(db: Db, opts: { orgId: string; nodeId: string }): Promise<NodeRow["role"] | null> {
  const nodes = await db.$queryRaw<Pick<NodeRow, "role">[]>`
    SELECT role::text AS role FROM nodes WHERE id = ${opts.nodeId}::uuid AND org_id = ${opts.orgId}::uuid`;
  return nodes[0]?.role ?? null;
}

export async function renameNode(db: Db, opts: { nodeId: string; name: string }): Promise<void> {
  await db.$executeRaw`UPDATE nodes SET name = ${opts.name} WHERE id = ${opts.nodeId}::uuid`;
}

/** Sets the node's ask in base units per CU; null: it asks the list price. */
export async function updateNodeAskPrice(db: Db, opts: { nodeId: string; askPerCuBaseUnits: bigint | null }): Promise<void> {
  await db.$executeRaw`UPDATE nodes SET ask_price_per_cu = ${opts.askPerCuBaseUnits} WHERE id = ${opts.nodeId}::uuid`;
}

/** Sets the organisation's node's ask in base units per CU (null: the list price); no other organisation's node changes. */
export async function updateOrgNodeAskPrice(
  db: Db,
  opts: { orgId: string; nodeId: string; askPerCuBaseUnits: bigint | null },
): Promise<void> {
  await db.$executeRaw`
    UPDATE nodes SET ask_price_per_cu = ${opts.askPerCuBaseUnits} WHERE id = ${opts.nodeId}::uuid AND org_id = ${opts.orgId}::uuid`;
}

/** Pauses the node (drain: nothing new is placed on it); a node already paused keeps its time. */
export async function pauseNode(db: Db, opts: { nodeId: string }): Promise<void> {
  await db.$executeRaw`UPDATE nodes SET paused_at = coalesce(paused_at, now()) WHERE id = ${opts.nodeId}::uuid`;
}

/** Makes the node placeable again. */
export async function resumeNode(db: Db, opts: { nodeId: string }): Promise<void> {
  await db.$executeRaw`UPDATE nodes SET paused_at = NULL WHERE id = ${opts.nodeId}::uuid`;
}

/**
 * Offers made to the node that it has not leased lapse now: the sweeper puts them back in
 * the queue with this node declined. Jobs it is running are left alone. Returns how many.
 */
export async function lapseNodeOffers(db: Db, opts: { nodeId: string }): Promise<number> {
  return db.$executeRaw`
        UPDATE jobs SET lease_expires_at = now()
        WHERE state = 'assigned' AND node_id = ${opts.nodeId}::uuid AND lease_expires_at > now()`;
}

export type WorkerSettingsRow = Pick<NodeRow, "name" | "paused_at" | "ask_price_per_cu">;

/** The node's name, pause and ask; null when there is no such node. */
export async function loadWorkerSettings(db: Db, opts: { nodeId: string }): Promise<WorkerSettingsRow | null> {
  const [view] = await db.$queryRaw<WorkerSettingsRow[]>`
    SELECT name, paused_at, ask_price_per_cu FROM nodes WHERE id = ${opts.nodeId}::uuid`;
  return view ?? null;
}
