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
