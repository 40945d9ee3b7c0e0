import type { Db } from "../db-types.ts";
import type { IndexerNodeRow, NodeRow } from "../nodes/node-row.ts";

/**
 * A node as its provider's diagnostics read it: the columns the indexer reads (a node missing
 * from the live network is put to the indexer from this row) and its own state.
 */
export type DiagnosedNodeRow = IndexerNodeRow &
  Pick<NodeRow, "role" | "quarantine_reason" | "paused_at" | "cu_per_hour" | "last_seen_at"> & {
    /** Its jobs running now (`open` counts the offers it has not leased as well). */
    running: number;
  };

/** The organisation's node with this id (removed or not); null when it has none. */
export async function loadDiagnosedNode(db: Db, opts: { orgId: string; nodeId: string }): Promise<DiagnosedNodeRow | null> {
  const rows = await db.$queryRaw<DiagnosedNodeRow[]>`
    SELECT n.id, n.org_id, n.role::text AS role, n.status::text AS status, n.region, n.latitude, n.longitude, n.models, n.loaded_models,
           n.accepts_custom_models, n.max_concurrency, n.quarantine_reason, n.paused_at, n.cu_per_hour, n.ask_price_per_cu, n.reputation_score, n.measured_rtt_ms,
           n.location_plausible, n.last_seen_at,
           (SELECT count(*) FROM jobs j WHERE j.node_id = n.id AND j.state IN ('assigned', 'running'))::int AS open,
           (SELECT count(*) FROM jobs j WHERE j.node_id = n.id AND j.state = 'running')::int AS running
    FROM nodes n WHERE n.id = ${opts.nodeId}::uuid AND n.org_id = ${opts.orgId}::uuid`;
  return rows[0] ?? null;
}

/** The smallest charge among the node's settled jobs whose earnings are still held; null when it holds none. */
export async function loadSmallestHeldCharge(db: Db, opts: { nodeId: string }): Promise<bigint | null> {
  // int8 arrives as a string on pg (as a bigint through Prisma): one bigint out, whichever.
  const rows = await db.$queryRaw<{ charge: bigint | string | null }[]>`
        SELECT min(charge)::bigint AS charge FROM held_earnings WHERE node_id = ${opts.nodeId}::uuid AND state = 'held'`;
  const charge = rows[0]?.charge;
  return charge === null || charge === undefined ? null : BigInt(charge);
}
