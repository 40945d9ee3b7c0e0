import { db } from "../../db.ts";

/** Nodes silent for longer than `silenceMs` are shown offline (quarantine is kept). */
export async function markOfflineNodes(opts: { silenceMs: number }): Promise<number> {
  return db().$executeRaw`
    UPDATE nodes SET status = 'offline'
    WHERE status = 'online' AND (last_seen_at IS NULL OR last_seen_at < now() - ${opts.silenceMs} * interval '1 millisecond')`;
}

/** Nonces older than the signature window can never be replayed: forget them. */
export async function purgeNonces(opts: { olderThanMs: number }): Promise<number> {
  return db().$executeRaw`
    DELETE FROM node_nonces WHERE created_at < now() - ${opts.olderThanMs} * interval '1 millisecond'`;
}
