import type { Db } from "../db-types.ts";

// The results a fraud case audits (`fraud_audit_jobs`): the node's customer results since its
// last passed check, each refunded from the case's pot or re-executed by an audit check.

/** A row of `fraud_audit_jobs` as raw SQL returns it (`charge` and `refunded` are int8). */
export interface FraudAuditJobRow {
  case_id: string;
  job_id: string;
  customer_org_id: string;
  /** What the customer paid for the job. */
  charge: bigint;
  /** null while open; refunded | verified. */
  outcome: string | null;
  refunded: bigint;
  /** The audit check re-executing the job (reexecute mode), once made. */
  check_id: string | null;
}

/** When the node last passed a check (its job's finish, or the check's creation for a challenge); planted checks do not count. */
export async function loadLastPassedCheckAt(db: Db, opts: { nodeId: string }): Promise<Date | null> {
  const passed = await db.$queryRaw<{ at: Date | null }[]>`
    SELECT max(coalesce(j.finished_at, c.created_at)) AS at FROM checks c LEFT JOIN jobs j ON j.id = c.job_id
    WHERE c.subject_node_id = ${opts.nodeId}::uuid AND c.verdict = 'pass' AND c.kind <> 'planted'`;
  return passed[0]?.at ?? null;
}

export interface InsertFraudAuditJobsOptions {
  caseId: string;
  nodeId: string;
  /** The node's last passed check (loadLastPassedCheckAt); null audits from the beginning. */
  auditFrom: Date | null;
  /** The job proven wrong: refunded by the case itself, not audited. */
  provenJobId: string | null;
  /** POR_AUDIT_MAX_JOBS. */
  limit: number;
}

/**
 * Lists the results the case audits: the node's customer results since its last passed check,
 * the newest first up to POR_AUDIT_MAX_JOBS, except the one proven wrong and any under another
 * dispute (that dispute decides it) or already refunded.
 */
export async function insertFraudAuditJobs(db: Db, opts: InsertFraudAuditJobsOptions): Promise<void> {
  await db.$executeRaw`
    INSERT INTO fraud_audit_jobs (case_id, job_id, customer_org_id, charge)
    SELECT ${opts.caseId}::uuid, j.id, j.org_id, j.price - j.royalty FROM jobs j
    WHERE j.node_id = ${opts.nodeId}::uuid AND j.state = 'succeeded' AND j.purpose <> 'challenge'
      AND j.finished_at > ${opts.auditFrom ?? new Date(0)} AND j.id IS DISTINCT FROM ${opts.provenJobId}::uuid
      AND j.verification IN ('unverified', 'pending', 'inconclusive', 'disputed') AND j.refunded_amount IS NULL
      AND NOT EXISTS (SELECT 1 FROM fraud_audit_jobs a WHERE a.job_id = j.id)
    ORDER BY j.finished_at DESC LIMIT ${opts.limit}`;
}

/** How many jobs the case audits and what their customers paid in total. */
export async function sumFraudAuditJobs(db: Db, opts: { caseId: string }): Promise<{ n: number; total: bigint } | null> {
  const [audit] = await db.$queryRaw<{ n: number; total: bigint }[]>`
    SELECT count(*)::int AS n, coalesce(sum(charge), 0)::bigint AS total FROM fraud_audit_jobs WHERE case_id = ${opts.caseId}::uuid`;
  return audit ?? null;
}

export interface InsertJoinedAuditJobOptions {
  caseId: string;
  jobId: string;
  customerOrgId: string;
  charge: bigint;
}

/** Adds a job proven wrong to the node's open case; false when the case lists it already. */
export async function insertJoinedAuditJob(db: Db, opts: InsertJoinedAuditJobOptions): Promise<boolean> {
  const inserted = await db.$queryRaw<Pick<FraudAuditJobRow, "job_id">[]>`
    INSERT INTO fraud_audit_jobs (case_id, job_id, customer_org_id, charge)
    VALUES (${opts.caseId}::uuid, ${opts.jobId}::uuid, ${opts.customerOrgId}::uuid, ${opts.charge})
    ON CONFLICT DO NOTHING RETURNING job_id`;
  return inserted.length > 0;
}

/** The audited job was refunded `amount` from the pot. */
export async function markAuditJobRefunded(db: Db, opts: { caseId: string; jobId: string; amount: bigint }): Promise<void> {
  await db.$executeRaw`
    UPDATE fraud_audit_jobs SET outcome = 'refunded', refunded = ${opts.amount}, resolved_at = now()
    WHERE case_id = ${opts.caseId}::uuid AND job_id = ${opts.jobId}::uuid`;
}

export type AuditCheckJobRow = Pick<FraudAuditJobRow, "case_id" | "customer_org_id" | "charge" | "outcome">;

/** The audited job an audit check re-executes, locked (FOR UPDATE); null when the check audits nothing. */
export async function lockAuditJobOfCheck(db: Db, opts: { checkId: string }): Promise<AuditCheckJobRow | null> {
  const rows = await db.$queryRaw<AuditCheckJobRow[]>`
    SELECT case_id, customer_org_id, charge, outcome FROM fraud_audit_jobs WHERE check_id = ${opts.checkId}::uuid FOR UPDATE`;
  return rows[0] ?? null;
}

/** The audit check found the result right. */
export async function markAuditJobOfCheckVerified(db: Db, opts: { checkId: string }): Promise<void> {
  await db.$executeRaw`UPDATE fraud_audit_jobs SET outcome = 'verified', resolved_at = now() WHERE check_id = ${opts.checkId}::uuid`;
}

/** The audit check found the result wrong: refunded `amount` from the pot. */
export async function markAuditJobOfCheckRefunded(db: Db, opts: { checkId: string; amount: bigint }): Promise<void> {
  await db.$executeRaw`
    UPDATE fraud_audit_jobs SET outcome = 'refunded', refunded = ${opts.amount}, resolved_at = now()
    WHERE check_id = ${opts.checkId}::uuid`;
}

export type OpenAuditJobRow = Pick<FraudAuditJobRow, "job_id" | "customer_org_id" | "charge">;

/** Up to `limit` of the case's jobs without an outcome, locked (FOR UPDATE), by job id. */
export async function lockOpenAuditJobs(db: Db, opts: { caseId: string; limit: number }): Promise<OpenAuditJobRow[]> {
  return db.$queryRaw<OpenAuditJobRow[]>`
    SELECT job_id, customer_org_id, charge FROM fraud_audit_jobs WHERE case_id = ${opts.caseId}::uuid AND outcome IS NULL
    ORDER BY job_id LIMIT ${opts.limit} FOR UPDATE`;
}

/** An audited job with no audit check yet, and the model that re-executes it. */
export type UncheckedAuditJobRow = Pick<FraudAuditJobRow, "job_id"> & { model_id: string };

/** Up to `limit` of the case's open jobs without an audit check, oldest results first (refunds follow the order the checks finish in). */
export async function listUncheckedAuditJobs(db: Db, opts: { caseId: string; limit: number }): Promise<UncheckedAuditJobRow[]> {
  return db.$queryRaw<UncheckedAuditJobRow[]>`
    SELECT a.job_id, j.model_id FROM fraud_audit_jobs a JOIN jobs j ON j.id = a.job_id
    WHERE a.case_id = ${opts.caseId}::uuid AND a.outcome IS NULL AND a.check_id IS NULL
    ORDER BY j.finished_at LIMIT ${opts.limit}`;
}

/** Links an audited job to the audit check that re-executes it. */
export async function setAuditJobCheck(db: Db, opts: { caseId: string; jobId: string; checkId: string | null }): Promise<void> {
  await db.$executeRaw`
    UPDATE fraud_audit_jobs SET check_id = ${opts.checkId}::uuid WHERE case_id = ${opts.caseId}::uuid AND job_id = ${opts.jobId}::uuid`;
}

/** An open audited job whose audit check is still queued or leased. */
export type LateAuditJobRow = Pick<FraudAuditJobRow, "job_id" | "customer_org_id" | "charge"> & { check_id: string };

export interface LockLateAuditJobsOptions {
  caseId: string;
  /** POR_AUDIT_DEADLINE_MS: an audit check older than this is late. */
  deadlineMs: number;
  limit: number;
}

/** The case's audit checks nobody re-executed in time (up to `limit`, oldest first), their audit rows locked. */
export async function lockLateAuditJobs(db: Db, opts: LockLateAuditJobsOptions): Promise<LateAuditJobRow[]> {
  return db.$queryRaw<LateAuditJobRow[]>`
    SELECT a.job_id, a.customer_org_id, a.charge, a.check_id FROM fraud_audit_jobs a JOIN checks k ON k.id = a.check_id
    WHERE a.case_id = ${opts.caseId}::uuid AND a.outcome IS NULL AND k.status IN ('queued', 'leased')
      AND k.created_at < now() - ${opts.deadlineMs} * interval '1 millisecond'
    ORDER BY k.created_at LIMIT ${opts.limit} FOR UPDATE OF a`;
}

/** How many of the case's jobs have no outcome yet. */
export async function countOpenAuditJobs(db: Db, opts: { caseId: string }): Promise<number> {
  const [open] = await db.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM fraud_audit_jobs WHERE case_id = ${opts.caseId}::uuid AND outcome IS NULL`;
  return open?.n ?? 0;
}
