import { db } from "../../db.ts";

/**
 * Nodes silent for longer than `silenceMs` are shown offline (quarantine is kept), and an
 * outage is opened from the moment they were last heard from: the measured downtime that
 * reservations credit (services/reservations).
 */
export async function markOfflineNodes(opts: { silenceMs: number }): Promise<number> {
  return db().$executeRaw`
    WITH off AS (
      UPDATE nodes SET status = 'offline'
      WHERE status = 'online' AND (last_seen_at IS NULL OR last_seen_at < now() - ${opts.silenceMs} * interval '1 millisecond')
      RETURNING id, coalesce(last_seen_at, created_at) AS since
    )
    INSERT INTO node_outages (id, node_id, started_at)
    SELECT gen_random_uuid(), id, since FROM off
    ON CONFLICT DO NOTHING`;
}

/** Nonces older than the signature window can never be replayed: forget them. */
export async function purgeNonces(opts: { olderThanMs: number }): Promise<number> {
  return db().$executeRaw`
    DELETE FROM node_nonces WHERE created_at < now() - ${opts.olderThanMs} * interval '1 millisecond'`;
}
