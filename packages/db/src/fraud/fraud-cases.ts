import type { Db } from "../db-types.ts";

// A fraud case: what follows one fraud verdict (apps/web verification/fraud.ts holds the rules).
// The node's stake is slashed into the case's pot, its customers are refunded from it, and
// its results since its last passed check are audited (fraud-audit-jobs.ts).

/** A row of `fraud_cases` as raw SQL returns it (`status` read as `::text`; money columns are int8). */
export interface FraudCaseRow {
  id: string;
  node_id: string;
  org_id: string;
  check_id: string;
  job_id: string | null;
  /** refund: the pot refunds every audited job; reexecute: checkers decide which were wrong. */
  audit_mode: string | null;
  /** The `FraudCaseStatus` enum: auditing | settled. */
  status: string;
  created_at: Date;
}

/** Whether the check's verdict was acted on already: it has a fraud case or a slash. */
export async function hasFraudCaseOrSlash(db: Db, opts: { checkId: string }): Promise<boolean> {
  const exists = await db.$queryRaw<{ id: string }[]>`
    SELECT id FROM fraud_cases WHERE check_id = ${opts.checkId}::uuid
    UNION ALL SELECT id FROM slashes WHERE check_id = ${opts.checkId}::uuid`;
  return exists.length > 0;
}

/** The node's oldest case still auditing, locked (FOR UPDATE) for the caller's transaction; null when none. */
export async function lockOpenFraudCaseId(db: Db, opts: { nodeId: string }): Promise<string | null> {
  const open = await db.$queryRaw<{ id: string }[]>`
    SELECT id FROM fraud_cases WHERE node_id = ${opts.nodeId}::uuid AND status = 'auditing' ORDER BY created_at LIMIT 1 FOR UPDATE`;
  return open[0]?.id ?? null;
}

export interface InsertFraudCaseOptions {
  nodeId: string;
  /** The node's provider. */
  orgId: string;
  /** The check whose verdict proved the fraud (one case per check). */
  checkId: string;
  /** The customer job proven wrong; null for a challenge or a planted check. */
  jobId: string | null;
}

/** Opens a case (status auditing). */
export async function insertFraudCase(db: Db, opts: InsertFraudCaseOptions): Promise<Pick<FraudCaseRow, "id" | "created_at">> {
  const rows = await db.$queryRaw<Pick<FraudCaseRow, "id" | "created_at">[]>`
    INSERT INTO fraud_cases (id, node_id, org_id, check_id, job_id)
    VALUES (gen_random_uuid(), ${opts.nodeId}::uuid, ${opts.orgId}::uuid, ${opts.checkId}::uuid, ${opts.jobId}::uuid)
    RETURNING id, created_at`;
  const row = rows[0];
  if (!row) throw new Error(`fraud case for check ${opts.checkId}: INSERT returned no row`);
  return row;
}

export interface RecordFraudCaseOpeningOptions {
  caseId: string;
  clawedBack: bigint;
  slashed: bigint;
  refunded: bigint;
  /** The audit covers the node's results finished after this (its last passed check); null: all of them. */
  auditFrom: Date | null;
  auditJobs: number;
  /** null when there is nothing to audit. */
  auditMode: "refund" | "reexecute" | null;
}

/** Records what opening the case did: clawback, slash, the first refund and the audit's size and mode. */
export async function recordFraudCaseOpening(db: Db, opts: RecordFraudCaseOpeningOptions): Promise<void> {
  await db.$executeRaw`
    UPDATE fraud_cases SET clawed_back = ${opts.clawedBack}, slashed = ${opts.slashed}, refunded = ${opts.refunded},
      audit_from = ${opts.auditFrom}, audit_jobs = ${opts.auditJobs}, audit_mode = ${opts.auditMode}
    WHERE id = ${opts.caseId}::uuid`;
}

/** Adds a refund paid from the case's pot to its total. */
export async function addFraudCaseRefund(db: Db, opts: { caseId: string; amount: bigint }): Promise<void> {
  await db.$executeRaw`UPDATE fraud_cases SET refunded = refunded + ${opts.amount} WHERE id = ${opts.caseId}::uuid`;
}

/** A job proven wrong joined the open case: one more audited job, and its refund added to the total. */
export async function addJoinedFraudCaseJob(db: Db, opts: { caseId: string; amount: bigint }): Promise<void> {
  await db.$executeRaw`
    UPDATE fraud_cases SET refunded = refunded + ${opts.amount}, audit_jobs = audit_jobs + 1 WHERE id = ${opts.caseId}::uuid`;
}

/** Cases still auditing, oldest first, at most `limit`. */
export async function listAuditingFraudCaseIds(db: Db, opts: { limit: number }): Promise<{ id: string }[]> {
  return db.$queryRaw<{ id: string }[]>`
    SELECT id FROM fraud_cases WHERE status = 'auditing' ORDER BY created_at LIMIT ${opts.limit}`;
}

export type LockedFraudCaseRow = Pick<FraudCaseRow, "id" | "node_id" | "org_id" | "check_id" | "audit_mode" | "status">;

/** One case, locked (FOR UPDATE) for the caller's transaction; null when it does not exist. */
export async function lockFraudCase(db: Db, opts: { id: string }): Promise<LockedFraudCaseRow | null> {
  const locked = await db.$queryRaw<LockedFraudCaseRow[]>`
    SELECT id, node_id, org_id, check_id, audit_mode, status::text AS status FROM fraud_cases WHERE id = ${opts.id}::uuid FOR UPDATE`;
  return locked[0] ?? null;
}

/** The audit is done: the case is settled, with what its pot left to the treasury. */
export async function markFraudCaseSettled(db: Db, opts: { caseId: string; toTreasury: bigint }): Promise<void> {
  await db.$executeRaw`
    UPDATE fraud_cases SET status = 'settled', settled_at = now(), to_treasury = ${opts.toTreasury} WHERE id = ${opts.caseId}::uuid`;
}
