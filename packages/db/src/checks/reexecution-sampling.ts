import type { Db } from "../db-types.ts";

/** What a node's re-check rate weighs: its bonded stake and its provider's slashes. */
export interface RecheckExposureRow {
  bonded: bigint | null;
  frauds: number;
}

/** Checks the node passed as a worker. */
export async function countWorkerPasses(db: Db, opts: { nodeId: string }): Promise<number> {
  const passes = await db.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM node_verdicts WHERE node_id = ${opts.nodeId}::uuid AND role = 'worker' AND verdict = 'pass'`;
  return passes[0]?.n ?? 0;
}

/**
 * Counts one more completed job for the node; returns its new count and reputation, with what
 * its re-check rate weighs (its bonded stake — its stake account's balance, null without one —
 * and the number of slashes of its provider's nodes), in one round trip: this runs on the
 * completion's hot path. Null if the node is gone.
 */
export async function incrementCompletedJobs(
  db: Db,
  opts: { nodeId: string; stakeCode: string },
): Promise<({ completed_jobs: number; reputation_score: number } & RecheckExposureRow) | null> {
  const rows = await db.$queryRaw<({ completed_jobs: number; reputation_score: number } & RecheckExposureRow)[]>`
    UPDATE nodes SET completed_jobs = completed_jobs + 1 WHERE id = ${opts.nodeId}::uuid
    RETURNING completed_jobs, reputation_score,
      (SELECT balance FROM ledger_accounts WHERE code = ${opts.stakeCode}) AS bonded,
      (SELECT count(*) FROM slashes s JOIN nodes n ON n.id = s.node_id WHERE n.org_id = nodes.org_id)::int AS frauds`;
  return rows[0] ?? null;
}

export interface InsertReexecutionCheckOptions {
  subjectNodeId: string;
  subjectOrgId: string;
  jobId: string;
  modelId: string;
  epoch: number;
  /** The re-check rate the job was sampled at, kept as the check's evidence. */
  rate: number;
}

/** Queues a re-execution check of the job, and marks the job's verification pending: one statement. */
export async function queueReexecutionCheck(db: Db, opts: InsertReexecutionCheckOptions): Promise<void> {
  await db.$executeRaw`
    WITH c AS (
      INSERT INTO checks (id, kind, status, subject_node_id, subject_org_id, job_id, model_id, epoch, evidence)
      VALUES (gen_random_uuid(), 'reexecution', 'queued', ${opts.subjectNodeId}::uuid, ${opts.subjectOrgId}::uuid, ${opts.jobId}::uuid,
              ${opts.modelId}, ${opts.epoch}, ${JSON.stringify({ rate: opts.rate })}::jsonb)
      RETURNING job_id)
    UPDATE jobs SET verification = 'pending' WHERE id = (SELECT job_id FROM c)`;
}
