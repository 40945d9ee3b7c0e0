import type { Db } from "../db-types.ts";

// An unbond request: stake leaving a node. Its id is the id of the unbond transfer that moved
// the tokens from `node:<id>:stake` to `node:<id>:unbonding`; they stay slashable there until
// `release_at`, when the coordinator pays out what is left and sets `released_at`.

export interface UnbondRequestRow {
  id: string;
  node_id: string;
  amount: bigint;
  release_at: Date;
  released_at: Date | null;
}

/** A due request with the provider its tokens go back to. */
export type DueUnbondRow = Pick<UnbondRequestRow, "id" | "node_id" | "amount"> & { org_id: string };

export async function insertUnbondRequest(db: Db, opts: { id: string; nodeId: string; amount: bigint; releaseAt: Date }): Promise<void> {
  await db.$executeRaw`
    INSERT INTO unbond_requests (id, node_id, amount, release_at)
    VALUES (${opts.id}::uuid, ${opts.nodeId}::uuid, ${opts.amount}, ${opts.releaseAt})`;
}

/** The stored release time of a request (a retried unbond answers it, not a new one). */
export async function loadUnbondReleaseAt(db: Db, opts: { id: string }): Promise<Date | undefined> {
  const stored = await db.$queryRaw<Pick<UnbondRequestRow, "release_at">[]>`
    SELECT release_at FROM unbond_requests WHERE id = ${opts.id}::uuid`;
  return stored[0]?.release_at;
}

/** Unreleased requests whose period has ended, the oldest first. */
export async function loadDueUnbonds(db: Db, opts: { limit: number }): Promise<DueUnbondRow[]> {
  return db.$queryRaw<DueUnbondRow[]>`
    SELECT u.id, u.node_id, u.amount, n.org_id FROM unbond_requests u JOIN nodes n ON n.id = u.node_id
    WHERE u.released_at IS NULL AND u.release_at <= now() ORDER BY u.release_at LIMIT ${opts.limit}`;
}

/** Locks a request (FOR UPDATE) and reads whether it was released; undefined when there is none. */
export async function lockUnbondRequest(db: Db, opts: { id: string }): Promise<Pick<UnbondRequestRow, "released_at"> | undefined> {
  const locked = await db.$queryRaw<Pick<UnbondRequestRow, "released_at">[]>`
    SELECT released_at FROM unbond_requests WHERE id = ${opts.id}::uuid FOR UPDATE`;
  return locked[0];
}

export async function markUnbondReleased(db: Db, opts: { id: string }): Promise<void> {
  await db.$executeRaw`UPDATE unbond_requests SET released_at = now() WHERE id = ${opts.id}::uuid`;
}

/** A node's unreleased requests, the nearest release first (at most 50). */
export async function loadOpenUnbondRequests(db: Db, opts: { nodeId: string }): Promise<Pick<UnbondRequestRow, "amount" | "release_at">[]> {
  return db.$queryRaw<Pick<UnbondRequestRow, "amount" | "release_at">[]>`
    SELECT amount, release_at FROM unbond_requests
    WHERE node_id = ${opts.nodeId}::uuid AND released_at IS NULL ORDER BY release_at LIMIT 50`;
}
