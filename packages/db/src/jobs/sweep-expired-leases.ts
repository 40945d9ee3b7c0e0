import type { Db } from "../db-types.ts";

export interface SweptJob {
  id: string;
  orgId: string;
  attempt: number;
  /** `queued` when it will be leased again, `failed` when it ran out of attempts. */
  state: "queued" | "failed";
  price: bigint;
}

/**
 * Returns jobs whose lease expired to the queue (or fails them after `max_attempts`),
 * marking the lost attempt `expired`; an assignment whose offer lapsed unleased goes back
 * to the queue the same way, with its node added to the placement's `declined` list. The attempt number is left as is: the next lease
 * bumps it, so the stale holder's result no longer matches. Bounded per call; callers
 * loop. Runs in the caller's transaction so a failed job's hold is released atomically.
 */
export async function sweepExpiredLeases(db: Db, opts: { limit: number }): Promise<SweptJob[]> {
  const rows = await db.$queryRaw<{ id: string; org_id: string; attempt: number; state: string; price: bigint }[]>`
    WITH expired AS (
      SELECT id FROM jobs
      WHERE state IN ('running', 'assigned') AND lease_expires_at < now()
      ORDER BY lease_expires_at
      LIMIT ${opts.limit}
      FOR UPDATE SKIP LOCKED
    ), swept AS (
      UPDATE jobs j
      SET state = CASE WHEN j.attempt >= j.max_attempts THEN 'failed'::"JobState" ELSE 'queued'::"JobState" END,
          node_id = CASE WHEN j.attempt >= j.max_attempts THEN j.node_id ELSE NULL END,
          lease_expires_at = NULL,
          error = CASE WHEN j.attempt >= j.max_attempts THEN 'lease expired on every attempt' ELSE j.error END,
          finished_at = CASE WHEN j.attempt >= j.max_attempts THEN now() ELSE NULL END,
          -- An offer the node never leased: remember the node so the next placement skips it.
          placement = CASE WHEN j.state = 'assigned' AND j.node_id IS NOT NULL
            THEN jsonb_set(coalesce(j.placement, '{}'::jsonb), '{declined}',
                           coalesce(j.placement -> 'declined', '[]'::jsonb) || to_jsonb(j.node_id::text))
            ELSE j.placement END
      FROM expired WHERE j.id = expired.id
      RETURNING j.id, j.org_id, j.attempt, j.state::text AS state, j.price
    ), lost AS (
      UPDATE job_attempts a SET outcome = 'expired', finished_at = now()
      FROM swept WHERE a.job_id = swept.id AND a.attempt = swept.attempt AND a.outcome = 'leased'
    )
    SELECT id, org_id, attempt, state, price FROM swept`;
  return rows.map((r) => ({
    id: r.id,
    orgId: r.org_id,
    attempt: r.attempt,
    state: r.state === "failed" ? "failed" : "queued",
    price: BigInt(r.price),
  }));
}
