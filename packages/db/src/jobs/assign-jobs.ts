import type { Db } from "../db-types.ts";
import { queryFragment, sqlFragment } from "../sql-fragment.ts";
import { DISPUTE } from "../stakes/node-exposures.ts";
import { type ClaimedJob, type ClaimedJobRow, claimedJobOf } from "./claim-job.ts";

export interface Assignment {
  jobId: string;
  nodeId: string;
  /** The worker's asking price per CU, fixed for this job: settlement charges cost × this. */
  unitPrice: bigint;
  /** The indexer's decision and explanation, shown to the job's owner. */
  placement: unknown;
  /** The customer's reservation the worker serves this job under, if any. */
  reservationId: string | null;
  /**
   * Lease the job to the node in this statement instead of offering it: one of the node's
   * lease long-polls waits with nothing to claim, and the caller checked what a claim checks
   * (the node runs the job's model; a node on pinned-only gets only its own challenges).
   * The statement checks again what the lease gate would: a customer's job goes to a node
   * quarantined or with an open dispute since the caller's read (or out of attempts) as a
   * plain offer, which its claim then refuses.
   */
  claim?: boolean;
}

export interface AssignedJob {
  id: string;
  /** The job leased to its node (`claim`), as `claimJob` returns it; null when offered. */
  claimed: ClaimedJob | null;
}

/**
 * Offers queued jobs to the workers the indexer chose, in one statement: each job becomes
 * `assigned` to its node with an offer that lapses after `offerMs` (the lease sweeper then
 * returns it to the queue and records the node as having let it lapse, so the next
 * placement skips it). A job that is no longer queued (canceled meanwhile) is left alone.
 * The jobs trigger NOTIFYs each change, waking the node's long-poll. Returns the jobs assigned.
 *
 * An assignment with `claim` is leased instead, as `claimJob` would lease it a moment later
 * (issue 15: the offer's wake-up, the lease gate's read and the claim's statement, saved):
 * running with the next attempt (the fencing token) and a lease of `leaseMs`, its attempt
 * recorded, its input returned.
 */
export async function assignJobs(
  db: Db,
  assignments: readonly Assignment[],
  opts: { offerMs: number; leaseMs?: number },
): Promise<AssignedJob[]> {
  if (assignments.length === 0) return [];
  const leaseMs = opts.leaseMs ?? opts.offerMs;
  const rows = await queryFragment<(ClaimedJobRow & { state: string })[]>(
    db,
    sqlFragment`
    WITH a AS (
      SELECT a.*, a.claim AND j.attempt < j.max_attempts
        AND (j.pinned_node_id = a.node_id OR (n.status <> 'quarantined' AND NOT ${DISPUTE})) AS lease
      FROM unnest(
        ${assignments.map((a) => a.jobId)}::uuid[],
        ${assignments.map((a) => a.nodeId)}::uuid[],
        ${assignments.map((a) => a.unitPrice.toString())}::bigint[],
        ${assignments.map((a) => JSON.stringify(a.placement ?? {}))}::jsonb[],
        ${assignments.map((a) => a.reservationId)}::uuid[],
        ${assignments.map((a) => a.claim === true)}::boolean[]
      ) AS a(job_id, node_id, unit_price, placement, reservation_id, claim)
      JOIN jobs j ON j.id = a.job_id
      JOIN nodes n ON n.id = a.node_id
    ), done AS (
      UPDATE jobs j
      SET state = CASE WHEN a.lease THEN 'running'::"JobState" ELSE 'assigned'::"JobState" END,
          node_id = a.node_id, assigned_at = now(),
          attempt = j.attempt + CASE WHEN a.lease THEN 1 ELSE 0 END,
          lease_expires_at = now() + CASE WHEN a.lease THEN ${leaseMs}::int ELSE ${opts.offerMs}::int END * interval '1 millisecond',
          started_at = CASE WHEN a.lease THEN coalesce(j.started_at, now()) ELSE j.started_at END,
          unit_price = a.unit_price, reservation_id = a.reservation_id,
          placement = a.placement || jsonb_build_object('declined', coalesce(j.placement -> 'declined', '[]'::jsonb))
      FROM a
      WHERE j.id = a.job_id AND j.state = 'queued'
      RETURNING j.id, j.state::text AS state, j.attempt, j.model_id, j.org_id, j.lease_expires_at, j.created_at, j.node_id
    ), attempt_row AS (
      INSERT INTO job_attempts (job_id, attempt, node_id)
      SELECT id, attempt, node_id FROM done WHERE state = 'running'
    )
    SELECT d.id, d.state, d.attempt, d.model_id, d.org_id, d.lease_expires_at, d.created_at, p.input
    FROM done d LEFT JOIN job_payloads p ON d.state = 'running' AND p.job_id = d.id`,
  );
  return rows.map((r) => ({ id: r.id, claimed: r.state === "running" ? claimedJobOf(r) : null }));
}
