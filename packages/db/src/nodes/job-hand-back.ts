import type { Db } from "../db-types.ts";
import type { NodeJobRow } from "./node-job-row.ts";

export type HandedBackJobRow = Pick<NodeJobRow, "id" | "org_id" | "state" | "node_id" | "attempt" | "max_attempts" | "price">;

/** Locks the job a node hands back (FOR UPDATE, inside the caller's transaction) and reads it; null when there is none. */
export async function lockJobForHandBack(db: Db, opts: { jobId: string }): Promise<HandedBackJobRow | null> {
  const rows = await db.$queryRaw<HandedBackJobRow[]>`
      SELECT id, org_id, state::text AS state, node_id, attempt, max_attempts, price FROM jobs
      WHERE id = ${opts.jobId}::uuid FOR UPDATE`;
  return rows[0] ?? null;
}

/** Closes the job's attempt as released (a graceful shutdown) or failed. */
export async function closeJobAttempt(db: Db, opts: { jobId: string; attempt: number; outcome: "released" | "failed" }): Promise<void> {
  await db.$executeRaw`
      UPDATE job_attempts SET outcome = ${opts.outcome}, finished_at = now()
      WHERE job_id = ${opts.jobId}::uuid AND attempt = ${opts.attempt}`;
}

export interface RequeueJobOptions {
  jobId: string;
  maxAttempts: number;
  /** The worker's error, or null (a release is no error). */
  error: string | null;
}

/** Puts the job back in the queue, off its node, with its (possibly raised) attempt budget. */
export async function requeueJob(db: Db, opts: RequeueJobOptions): Promise<void> {
  await db.$executeRaw`
        UPDATE jobs SET state = 'queued', node_id = NULL, lease_expires_at = NULL, max_attempts = ${opts.maxAttempts},
          error = ${opts.error}
        WHERE id = ${opts.jobId}::uuid`;
}

/** Fails the job for good with the worker's error. */
export async function markJobFailed(db: Db, opts: { jobId: string; error: string }): Promise<void> {
  await db.$executeRaw`
      UPDATE jobs SET state = 'failed', lease_expires_at = NULL, finished_at = now(), error = ${opts.error}
      WHERE id = ${opts.jobId}::uuid`;
}
