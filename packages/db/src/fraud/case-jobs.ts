import type { Db } from "../db-types.ts";

// The customer jobs a fraud case touches: their verification as the customer sees it.

/** The case's audited jobs wait on the audit: verification pending. */
export async function markAuditedJobsPending(db: Db, opts: { caseId: string }): Promise<void> {
  await db.$executeRaw`
    UPDATE jobs SET verification = 'pending' WHERE id IN (SELECT job_id FROM fraud_audit_jobs WHERE case_id = ${opts.caseId}::uuid)`;
}

/** A job refunded `amount` from a fraud case's pot, with the note its customer reads. */
export async function markJobRefunded(db: Db, opts: { jobId: string; amount: bigint; note: string }): Promise<void> {
  await db.$executeRaw`
    UPDATE jobs SET verification = 'refunded', refunded_amount = ${opts.amount}, verification_note = ${opts.note}
    WHERE id = ${opts.jobId}::uuid`;
}

/** An audited job an independent checker found right: verified, with the note its customer reads. */
export async function markJobVerifiedByAudit(db: Db, opts: { jobId: string; note: string }): Promise<void> {
  await db.$executeRaw`
    UPDATE jobs SET verification = 'verified', verification_note = ${opts.note}
    WHERE id = ${opts.jobId}::uuid`;
}

/** A job a case touched, as its customer is told of it (`verification` read as `::text`; money is int8). */
export interface CaseJobRow {
  org_id: string;
  job_id: string;
  verification: string;
  refunded: bigint | null;
  charge: bigint;
}

/**
 * The customer jobs the case touched (the one proven wrong and the audited ones), by
 * customer organisation and finish time; the protocol's own challenge jobs (its organisation, migration
 * 20261127033700_protocol_org) left out.
 */
export async function listCaseJobs(db: Db, opts: { caseId: string }): Promise<CaseJobRow[]> {
  return db.$queryRaw<CaseJobRow[]>`
    SELECT j.org_id, j.id AS job_id, j.verification::text AS verification, j.refunded_amount AS refunded, j.price - j.royalty AS charge
    FROM jobs j WHERE j.id IN (SELECT job_id FROM fraud_audit_jobs WHERE case_id = ${opts.caseId}::uuid
                               UNION SELECT job_id FROM fraud_cases WHERE id = ${opts.caseId}::uuid AND job_id IS NOT NULL)
      AND j.org_id <> '00000000-0000-4000-8000-00000000c0de'::uuid
    ORDER BY j.org_id, j.finished_at`;
}
