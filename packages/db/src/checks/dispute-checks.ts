import type { Db } from "../db-types.ts";

export interface InsertDisputeCheckOptions {
  /** The disputed check: its subject, job, model and seed carry over. */
  parentCheckId: string;
  subjectNodeId: string;
  subjectOrgId: string;
  jobId: string | null;
  modelId: string;
  seed: string | null;
  epoch: number;
  /** The items the first checker disagreed on (the dispute's evidence). */
  refs: readonly string[];
}

/** Queues a dispute: a third, independent executor re-runs the items the checker disagreed on. */
export async function insertDisputeCheck(db: Db, opts: InsertDisputeCheckOptions): Promise<void> {
  await db.$executeRaw`
    INSERT INTO checks (id, kind, status, subject_node_id, subject_org_id, job_id, parent_check_id, model_id, seed, epoch, evidence)
    VALUES (gen_random_uuid(), 'dispute', 'queued', ${opts.subjectNodeId}::uuid, ${opts.subjectOrgId}::uuid, ${opts.jobId}::uuid,
            ${opts.parentCheckId}::uuid, ${opts.modelId}, ${opts.seed}, ${opts.epoch}, ${JSON.stringify({ refs: opts.refs })}::jsonb)`;
}
