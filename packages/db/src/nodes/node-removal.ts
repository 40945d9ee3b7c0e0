import type { Db } from "../db-types.ts";

/**
 * Locks the organisation's node with this id unless it was removed (FOR UPDATE, inside the
 * caller's transaction). False when it has no such node.
 */
export async function lockOrgNode(db: Db, opts: { orgId: string; nodeId: string }): Promise<boolean> {
  const rows = await db.$queryRaw<{ id: string }[]>`
      SELECT id FROM nodes WHERE id = ${opts.nodeId}::uuid AND org_id = ${opts.orgId}::uuid AND removed_at IS NULL FOR UPDATE`;
  return rows[0] !== undefined;
}

/** Jobs the node holds now: offered (assigned) or running. */
export async function countOpenNodeJobs(db: Db, opts: { nodeId: string }): Promise<number> {
  const [open] = await db.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM jobs WHERE node_id = ${opts.nodeId}::uuid AND state IN ('assigned', 'running')`;
  return open?.n ?? 0;
}

/** The balances of the ledger accounts with these codes; an account that does not exist is absent. */
export async function loadAccountBalances(db: Db, opts: { codes: string[] }): Promise<{ code: string; balance: bigint }[]> {
  return db.$queryRaw<{ code: string; balance: bigint }[]>`
      SELECT code, balance FROM ledger_accounts WHERE code = ANY(${opts.codes})`;
}

/**
 * Retires the node: removed now, paused (if it was not already) and offline. The row is
 * kept. Returns when it was removed (null if the row is gone).
 */
export async function markNodeRemoved(db: Db, opts: { nodeId: string }): Promise<Date | null> {
  const done = await db.$queryRaw<{ removed_at: Date }[]>`
      UPDATE nodes SET removed_at = now(), paused_at = coalesce(paused_at, now()), status = 'offline'
      WHERE id = ${opts.nodeId}::uuid RETURNING removed_at`;
  return done[0]?.removed_at ?? null;
}
