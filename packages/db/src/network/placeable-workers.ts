import type { Db } from "../db-types.ts";
import type { IndexerNodeRow, NodeRow } from "../nodes/node-row.ts";

/** A worker the indexer may place on, with its open jobs, bonded stake and the reservation holding it now. */
export type PlaceableWorkerRow = IndexerNodeRow &
  Pick<NodeRow, "priority_factor" | "cu_per_hour"> & {
    /** Its stake account's balance (int8: a string from pg, a bigint from Prisma), 0 without one. */
    stake: bigint | string;
    reservation_id: string | null;
    /** The organisation whose active reservation holds it now. */
    reserved_for: string | null;
  };

/**
 * The workers the indexer may place on: online workers that are not paused, and quarantined
 * ones heard from in the last 90 s (they run only the challenges pinned to them), with their
 * open jobs (assigned or running), bonded stake, and the reservation holding them now.
 */
export async function loadPlaceableWorkers(db: Db): Promise<PlaceableWorkerRow[]> {
  return db.$queryRaw<PlaceableWorkerRow[]>`
    SELECT n.id, n.org_id, n.region, n.latitude, n.longitude, n.models, n.loaded_models, n.accepts_custom_models, n.max_concurrency, n.status::text AS status,
           n.priority_factor, n.reputation_score, n.ask_price_per_cu, n.measured_rtt_ms, n.location_plausible, n.cu_per_hour,
           coalesce(a.balance, 0) AS stake,
           (SELECT count(*) FROM jobs j WHERE j.node_id = n.id AND j.state IN ('assigned', 'running'))::int AS open,
           res.reservation_id, res.org_id AS reserved_for
    FROM nodes n
    LEFT JOIN ledger_accounts a ON a.code = 'node:' || n.id::text || ':stake'
    LEFT JOIN LATERAL (
      SELECT rn.reservation_id, r.org_id FROM reservation_nodes rn JOIN reservations r ON r.id = rn.reservation_id
      WHERE rn.node_id = n.id AND r.status = 'active' AND r.starts_at <= now() AND r.ends_at > now()
      LIMIT 1
    ) res ON true
    WHERE n.role = 'worker' AND n.paused_at IS NULL
      AND (n.status = 'online' OR (n.status = 'quarantined' AND n.last_seen_at > now() - interval '90 seconds'))`;
}
