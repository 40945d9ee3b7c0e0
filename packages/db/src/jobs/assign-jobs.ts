import type { Db } from "../db-types.ts";

export interface Assignment {
  jobId: string;
  nodeId: string;
  /** The worker's asking price per CU, fixed for this job: settlement charges cost × this. */
  unitPrice: bigint;
  /** The indexer's decision and explanation, shown to the job's owner. */
  placement: unknown;
  /** The customer's reservation the worker serves this job under, if any. */
  reservationId: string | null;
}

/**
 * Offers queued jobs to the workers the indexer chose, in one statement: each job becomes
 * `assigned` to its node with an offer that lapses after `offerMs` (the lease sweeper then
 * returns it to the queue and records the node as having let it lapse, so the next
 * placement skips it). A job that is no longer queued (canceled meanwhile) is left alone.
 * The jobs trigger NOTIFYs each change, waking the node's long-poll. Returns the ids assigned.
 */
export async function assignJobs(db: Db, assignments: readonly Assignment[], opts: { offerMs: number }): Promise<string[]> {
  if (assignments.length === 0) return [];
  const rows = await db.$queryRaw<{ id: string }[]>`
    UPDATE jobs j
    SET state = 'assigned', node_id = a.node_id, assigned_at = now(),
        lease_expires_at = now() + ${opts.offerMs} * interval '1 millisecond',
        unit_price = a.unit_price, reservation_id = a.reservation_id,
        placement = a.placement || jsonb_build_object('declined', coalesce(j.placement -> 'declined', '[]'::jsonb))
    FROM unnest(
      ${assignments.map((a) => a.jobId)}::uuid[],
      ${assignments.map((a) => a.nodeId)}::uuid[],
      ${assignments.map((a) => a.unitPrice.toString())}::bigint[],
      ${assignments.map((a) => JSON.stringify(a.placement ?? {}))}::jsonb[],
      ${assignments.map((a) => a.reservationId)}::uuid[]
    ) AS a(job_id, node_id, unit_price, placement, reservation_id)
    WHERE j.id = a.job_id AND j.state = 'queued'
    RETURNING j.id`;
  return rows.map((r) => r.id);
}
