import type { Db } from "../db-types.ts";
import type { NodeRow } from "../nodes/node-row.ts";

// What a passed latency probe records on its subject: its reputation's latency component,
// and whether its declared location is plausible.

/** The node's reputation state (JSON whose shape por owns: the caller names it) and credited CU/h. */
export type NodeReputationRow<Reputation = unknown> = Pick<NodeRow, "cu_per_hour"> & { reputation: Reputation | null };

/** The node's reputation, locked (FOR UPDATE) for the caller's transaction; null when it does not exist. */
export async function lockNodeReputation<Reputation = unknown>(
  db: Db,
  opts: { nodeId: string },
): Promise<NodeReputationRow<Reputation> | null> {
  const rows = await db.$queryRaw<NodeReputationRow<Reputation>[]>`
    SELECT reputation, cu_per_hour FROM nodes WHERE id = ${opts.nodeId}::uuid FOR UPDATE`;
  return rows[0] ?? null;
}

/** Stores the node's reputation state (as JSON) and the score derived from it. */
export async function updateNodeReputation(db: Db, opts: { nodeId: string; reputation: unknown; score: number }): Promise<void> {
  await db.$executeRaw`
    UPDATE nodes SET reputation = ${JSON.stringify(opts.reputation)}::jsonb, reputation_score = ${opts.score}
    WHERE id = ${opts.nodeId}::uuid`;
}

/** A probe job's protocol overhead (lease to result minus the receipt's inference time), with its node's declared place. */
export type ProbeOverheadRow = Pick<NodeRow, "region" | "latitude" | "longitude"> & { overhead_ms: number };

/** The overhead of each succeeded job of a latency probe, as the platform timed it. */
export async function listProbeOverheads(db: Db, opts: { checkId: string }): Promise<ProbeOverheadRow[]> {
  return db.$queryRaw<ProbeOverheadRow[]>`
    SELECT extract(epoch FROM (a.finished_at - a.leased_at)) * 1000 - coalesce(a.inference_ms, 0) AS overhead_ms,
           n.region, n.latitude, n.longitude
    FROM jobs j JOIN job_attempts a ON a.job_id = j.id AND a.outcome = 'succeeded' JOIN nodes n ON n.id = j.pinned_node_id
    WHERE j.check_id = ${opts.checkId}::uuid AND j.state = 'succeeded'`;
}

/**
 * Records the round trip a probe measured and whether the declared location allows it; the
 * indexer charges an implausible one a long link delay until a probe agrees again.
 */
export async function updateNodeLocationEvidence(
  db: Db,
  opts: { nodeId: string; measuredRttMs: number; plausible: boolean },
): Promise<void> {
  await db.$executeRaw`
    UPDATE nodes SET measured_rtt_ms = ${opts.measuredRttMs}, location_plausible = ${opts.plausible} WHERE id = ${opts.nodeId}::uuid`;
}
