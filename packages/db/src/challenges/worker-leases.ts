import type { Db } from "../db-types.ts";

// The leases of admitted workers, as the challenge schedule times challenges from them
// (challenge-schedule.ts): a lease is a job attempt; `customer` is any job not a challenge.

/** A lease of an admitted worker, with what the schedule needs of the worker. */
export interface WorkerLeaseRow {
  node_id: string;
  org_id: string;
  models: string[];
  leased_at: Date;
  customer: boolean;
  reputation_score: number;
  completed_jobs: number;
}

/** Leases after `from` of admitted workers online and not paused, oldest first, at most `limit`. */
export async function loadWorkerLeasesSince(db: Db, opts: { from: Date; limit: number }): Promise<WorkerLeaseRow[]> {
  return db.$queryRaw<WorkerLeaseRow[]>`
    SELECT a.node_id, n.org_id, n.models, a.leased_at, j.purpose <> 'challenge' AS customer, n.reputation_score, n.completed_jobs
    FROM job_attempts a JOIN jobs j ON j.id = a.job_id JOIN nodes n ON n.id = a.node_id
    WHERE a.leased_at > ${opts.from}
      AND n.role = 'worker' AND n.status = 'online' AND n.paused_at IS NULL AND n.admission IN ('passed', 'derated')
    ORDER BY a.leased_at LIMIT ${opts.limit}`;
}

/** Whether the node leased a customer job after `at`. */
export async function hasCustomerLeaseAfter(db: Db, opts: { nodeId: string; at: Date }): Promise<boolean> {
  const rows = await db.$queryRaw<{ n: number }[]>`
    SELECT 1 AS n FROM job_attempts a JOIN jobs j ON j.id = a.job_id
    WHERE a.node_id = ${opts.nodeId}::uuid AND a.leased_at > ${opts.at} AND j.purpose <> 'challenge' LIMIT 1`;
  return rows.length > 0;
}

/** The node's leases of the last day up to `before`, newest first, at most `limit`. */
export async function loadLeaseHistory(
  db: Db,
  opts: { nodeId: string; before: Date; limit: number },
): Promise<{ leased_at: Date; customer: boolean }[]> {
  return db.$queryRaw<{ leased_at: Date; customer: boolean }[]>`
    SELECT a.leased_at, j.purpose <> 'challenge' AS customer FROM job_attempts a JOIN jobs j ON j.id = a.job_id
    WHERE a.node_id = ${opts.nodeId}::uuid AND a.leased_at <= ${opts.before} AND a.leased_at > now() - interval '1 day'
    ORDER BY a.leased_at DESC LIMIT ${opts.limit}`;
}
