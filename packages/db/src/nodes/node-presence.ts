import type { Db } from "../db-types.ts";

/** Heard from again: the node is online and its open outage (if any) ends now. */
export async function markNodeSeen(db: Db, opts: { nodeId: string }): Promise<void> {
  await db.$executeRaw`
      WITH n AS (
        UPDATE nodes SET last_seen_at = now(),
          status = CASE WHEN status = 'offline' THEN 'online'::"NodeStatus" ELSE status END
        WHERE id = ${opts.nodeId}::uuid RETURNING id
      )
      UPDATE node_outages SET ended_at = now() WHERE node_id = ${opts.nodeId}::uuid AND ended_at IS NULL`;
}

/**
 * Nodes silent for longer than `silenceMs` are shown offline (quarantine is kept), and an
 * outage is opened from the moment they were last heard from: the measured downtime that
 * reservations credit. Returns how many outages were opened.
 */
export async function markSilentNodesOffline(db: Db, opts: { silenceMs: number }): Promise<number> {
  return db.$executeRaw`
    WITH off AS (
      UPDATE nodes SET status = 'offline'
      WHERE status = 'online' AND (last_seen_at IS NULL OR last_seen_at < now() - ${opts.silenceMs} * interval '1 millisecond')
      RETURNING id, coalesce(last_seen_at, created_at) AS since
    )
    INSERT INTO node_outages (id, node_id, started_at)
    SELECT gen_random_uuid(), id, since FROM off
    ON CONFLICT DO NOTHING`;
}

export interface NodeGoodbye {
  /** The node was online and is offline now (a quarantined or offline one is left as it is). */
  went_offline: boolean;
  /** Offers the node had not leased, lapsed now. */
  offers: number;
}

/**
 * A node that stopped cleanly: shown offline now with an outage opened now, and the offers
 * made to it that it never leased lapse at once (the sweeper returns them to the queue).
 * Its running jobs are left alone. In one statement.
 */
export async function recordNodeGoodbye(db: Db, opts: { nodeId: string }): Promise<NodeGoodbye | null> {
  const rows = await db.$queryRaw<NodeGoodbye[]>`
    WITH off AS (
      UPDATE nodes SET status = 'offline', last_seen_at = now()
      WHERE id = ${opts.nodeId}::uuid AND status = 'online'
      RETURNING id
    ), outage AS (
      INSERT INTO node_outages (id, node_id, started_at)
      SELECT gen_random_uuid(), id, now() FROM off
      RETURNING id
    ), offers AS (
      UPDATE jobs SET lease_expires_at = now()
      WHERE state = 'assigned' AND node_id = ${opts.nodeId}::uuid AND lease_expires_at > now()
      RETURNING id
    )
    SELECT EXISTS (SELECT 1 FROM off) AS went_offline, (SELECT count(*) FROM offers)::int AS offers`;
  return rows[0] ?? null;
}
