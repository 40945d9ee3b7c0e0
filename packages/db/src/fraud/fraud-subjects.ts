import type { Db } from "../db-types.ts";
import type { NodeRow } from "../nodes/node-row.ts";

export type FraudSubjectRow = Pick<NodeRow, "org_id" | "role">;

/** The node a fraud verdict is against: its provider and its role; null when it does not exist. */
export async function loadFraudSubject(db: Db, opts: { nodeId: string }): Promise<FraudSubjectRow | null> {
  const nodes = await db.$queryRaw<FraudSubjectRow[]>`SELECT org_id, role::text AS role FROM nodes WHERE id = ${opts.nodeId}::uuid`;
  return nodes[0] ?? null;
}

/**
 * The node's customer jobs in flight go back to the queue, the node added to each one's
 * declined list; their leased attempts are marked revoked, so its later results are refused
 * (stale attempt). Jobs pinned to the node (challenges) stay.
 */
export async function revokeNodeJobsInFlight(db: Db, opts: { nodeId: string }): Promise<void> {
  const { nodeId } = opts;
  await db.$executeRaw`
    WITH revoked AS (
      UPDATE jobs SET state = 'queued', node_id = NULL, lease_expires_at = NULL,
        placement = jsonb_set(coalesce(placement, '{}'::jsonb), '{declined}',
                              coalesce(placement -> 'declined', '[]'::jsonb) || to_jsonb(${nodeId}::text))
      WHERE node_id = ${nodeId}::uuid AND state IN ('assigned', 'running') AND pinned_node_id IS NULL
      RETURNING id, attempt
    )
    UPDATE job_attempts a SET outcome = 'revoked', finished_at = now()
    FROM revoked r WHERE a.job_id = r.id AND a.attempt = r.attempt AND a.outcome = 'leased'`;
}
