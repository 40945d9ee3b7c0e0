import type { Db } from "../db-types.ts";

/**
 * Records a signed request's nonce: the insert is the replay check. False when the node
 * already used it (the request is a replay).
 */
export async function insertNodeNonce(db: Db, opts: { nodeId: string; nonce: string }): Promise<boolean> {
  const fresh = await db.$queryRaw<{ ok: number }[]>`
    INSERT INTO node_nonces (node_id, nonce) VALUES (${opts.nodeId}::uuid, ${opts.nonce})
    ON CONFLICT DO NOTHING RETURNING 1 AS ok`;
  return fresh.length > 0;
}

/** Nonces older than the signature window can never be replayed: forget them. Returns how many. */
export async function purgeNodeNonces(db: Db, opts: { olderThanMs: number }): Promise<number> {
  return db.$executeRaw`
    DELETE FROM node_nonces WHERE created_at < now() - ${opts.olderThanMs} * interval '1 millisecond'`;
}
