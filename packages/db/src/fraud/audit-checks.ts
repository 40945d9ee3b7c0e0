import type { Db } from "../db-types.ts";

// The checks a fraud case touches: the audit checks that re-execute its node's results, and
// the node's checks the audit overtakes.

/**
 * Cancels the sampled re-executions and open disputes of the case's audited jobs: they are
 * overtaken by the audit (the node is proven fraudulent, and the audit decides each of them
 * from the case's pot).
 */
export async function cancelOvertakenChecks(db: Db, opts: { caseId: string }): Promise<void> {
  await db.$executeRaw`
    UPDATE checks SET status = 'canceled', lease_expires_at = NULL
    WHERE kind IN ('reexecution', 'dispute') AND status IN ('queued', 'leased')
      AND job_id IN (SELECT job_id FROM fraud_audit_jobs WHERE case_id = ${opts.caseId}::uuid)`;
}

export interface InsertAuditCheckOptions {
  /** The node proven fraudulent and its provider. */
  subjectNodeId: string;
  subjectOrgId: string;
  /** The audited job a checker re-executes. */
  jobId: string;
  /** The check whose verdict opened the case. */
  parentCheckId: string;
  modelId: string;
  epoch: number;
  caseId: string;
}

/** Queues an audit check of one of the case's jobs (its evidence names the case); returns its id. */
export async function insertAuditCheck(db: Db, opts: InsertAuditCheckOptions): Promise<string | null> {
  const check = await db.$queryRaw<{ id: string }[]>`
    INSERT INTO checks (id, kind, status, subject_node_id, subject_org_id, job_id, parent_check_id, model_id, epoch, evidence)
    VALUES (gen_random_uuid(), 'audit', 'queued', ${opts.subjectNodeId}::uuid, ${opts.subjectOrgId}::uuid, ${opts.jobId}::uuid,
            ${opts.parentCheckId}::uuid, ${opts.modelId}, ${opts.epoch}, ${JSON.stringify({ caseId: opts.caseId })}::jsonb)
    RETURNING id`;
  return check[0]?.id ?? null;
}

/** Cancels an audit check nobody re-executed in time (its job is refunded instead). */
export async function cancelAuditCheck(db: Db, opts: { checkId: string }): Promise<void> {
  await db.$executeRaw`UPDATE checks SET status = 'canceled', lease_expires_at = NULL WHERE id = ${opts.checkId}::uuid`;
}
