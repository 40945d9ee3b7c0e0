import type { Db } from "../db-types.ts";

/**
 * Marks the organisation's job canceled if it has not finished (queued, assigned or
 * running), and drops its lease. Returns its id and price, or undefined when the job is not
 * the organisation's or already finished. Inside the caller's transaction, which releases
 * the hold.
 */
export async function markJobCanceled(db: Db, opts: { orgId: string; jobId: string }): Promise<{ id: string; price: bigint } | undefined> {
  const rows = await db.$queryRaw<{ id: string; price: bigint }[]>`
    UPDATE jobs SET state = 'canceled', finished_at = now(), lease_expires_at = NULL
    WHERE id = ${opts.jobId}::uuid AND org_id = ${opts.orgId}::uuid
      AND state IN ('queued', 'assigned', 'running')
    RETURNING id, price`;
  return rows[0];
}
