import type { Db } from "../db-types.ts";

export interface LockCandidateNodesOptions {
  region: string;
  minCuPerHour: number;
  /** The booking organisation: its own workers are never candidates. */
  orgId: string;
  /** Only workers that serve this model (null: any). */
  modelId: string | null;
  limit: number;
}

/**
 * Locks every candidate worker (online, not paused, in the region, of at least the
 * capability, serving the model) and returns their ids.
 *
 * Lock every candidate (in id order, so concurrent bookings cannot deadlock) before
 * asking which are free: the overlap check (loadFreeCandidates) is a later statement, so it
 * sees any booking that committed while this one waited. FOR NO KEY UPDATE serialises
 * bookings without blocking the foreign-key checks of jobs assigned to these nodes.
 */
export async function lockCandidateNodes(db: Db, opts: LockCandidateNodesOptions): Promise<{ id: string }[]> {
  return db.$queryRaw<{ id: string }[]>`
    SELECT n.id FROM nodes n
    WHERE n.role = 'worker' AND n.status = 'online' AND n.paused_at IS NULL AND n.region = ${opts.region}
      AND n.cu_per_hour >= ${opts.minCuPerHour} AND n.org_id <> ${opts.orgId}::uuid
      AND (${opts.modelId}::text IS NULL OR ${opts.modelId}::text = ANY(n.models))
    ORDER BY n.id
    LIMIT ${opts.limit}
    FOR NO KEY UPDATE OF n`;
}

/** A worker that could be reserved, with its ask (or the list price) and its bonded stake. */
export interface CandidateRow {
  id: string;
  org_id: string;
  cu_per_hour: number;
  ask: bigint;
  reputation_score: number;
  stake: bigint;
}

export interface LoadFreeCandidatesOptions {
  nodeIds: readonly string[];
  /** The ask of a worker that set none. */
  listPrice: bigint;
  startsAt: Date;
  endsAt: Date;
}

/** Those of the nodes that no active reservation holds during [startsAt, endsAt), cheapest first, then by reputation. */
export async function loadFreeCandidates(db: Db, opts: LoadFreeCandidatesOptions): Promise<CandidateRow[]> {
  return db.$queryRaw<CandidateRow[]>`
    SELECT n.id, n.org_id, n.cu_per_hour, coalesce(n.ask_price_per_cu, ${opts.listPrice}) AS ask, n.reputation_score,
           coalesce(a.balance, 0) AS stake
    FROM nodes n
    LEFT JOIN ledger_accounts a ON a.code = 'node:' || n.id::text || ':stake'
    WHERE n.id = ANY(${[...opts.nodeIds]}::uuid[])
      AND NOT EXISTS (
        SELECT 1 FROM reservation_nodes rn JOIN reservations r ON r.id = rn.reservation_id
        WHERE rn.node_id = n.id AND r.status = 'active' AND r.starts_at < ${opts.endsAt} AND r.ends_at > ${opts.startsAt})
    ORDER BY ask ASC, n.reputation_score DESC, n.id`;
}

/** Records the reserved workers with the capability each is billed on (a snapshot at booking). */
export async function insertReservationNodes(
  db: Db,
  opts: { reservationId: string; nodes: readonly { id: string; cu_per_hour: number }[] },
): Promise<void> {
  const ids = opts.nodes.map((n) => n.id);
  const cuPerHour = opts.nodes.map((n) => n.cu_per_hour);
  await db.$executeRaw`
    INSERT INTO reservation_nodes (reservation_id, node_id, cu_per_hour)
    SELECT ${opts.reservationId}::uuid, n, c FROM unnest(${ids}::uuid[], ${cuPerHour}::int[]) AS t(n, c)`;
}
