import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqlClient } from "../sql-client.ts";
import { createTestDatabase, type TestDatabase } from "../testing/create-test-database.ts";
import { seedModelAndOrgs } from "../testing/seed-rows.ts";
import { cancelAuditCheck, cancelOvertakenChecks, insertAuditCheck } from "./audit-checks.ts";
import { listCaseJobs, markAuditedJobsPending, markJobRefunded, markJobVerifiedByAudit } from "./case-jobs.ts";
import {
  countOpenAuditJobs,
  insertFraudAuditJobs,
  insertJoinedAuditJob,
  listUncheckedAuditJobs,
  loadLastPassedCheckAt,
  lockAuditJobOfCheck,
  lockLateAuditJobs,
  lockOpenAuditJobs,
  markAuditJobOfCheckRefunded,
  markAuditJobOfCheckVerified,
  markAuditJobRefunded,
  setAuditJobCheck,
  sumFraudAuditJobs,
} from "./fraud-audit-jobs.ts";
import {
  addFraudCaseRefund,
  addJoinedFraudCaseJob,
  hasFraudCaseOrSlash,
  insertFraudCase,
  listAuditingFraudCaseIds,
  lockFraudCase,
  lockOpenFraudCaseId,
  markFraudCaseSettled,
  recordFraudCaseOpening,
} from "./fraud-cases.ts";
import { lockFraudPotBalance } from "./fraud-pots.ts";
import { loadFraudSubject, revokeNodeJobsInFlight } from "./fraud-subjects.ts";
import { lockHeldPayouts, markHeldPayoutsClawed } from "./held-clawbacks.ts";
import { insertSlash, lockSlashableBalances } from "./slashes.ts";

// Each statement of the fraud domain against the real schema, on the pg client the services use.

let t: TestDatabase;
let db: SqlClient;
const MODEL = "f".repeat(64);
const provider = randomUUID();
const customer = randomUUID();
const worker = randomUUID();
const verdictCheck = randomUUID();
const audited = randomUUID();
const proven = randomUUID();
const running = randomUUID();

async function insertJob(id: string, state: string, finishedAt: string | null): Promise<void> {
  await t.pool.query(
    `INSERT INTO jobs (id, org_id, model_id, cost_milli_cu, price, input_hash, input_bytes, state, verification, node_id, finished_at,
                       attempt)
    VALUES ($1, $2, $3, 7, 10, 'h', 1, $4, 'unverified', $5, $6::timestamptz, 1)`,
    [id, customer, MODEL, state, worker, finishedAt],
  );
}

beforeAll(async () => {
  t = await createTestDatabase();
  db = new SqlClient(t.pool);
  await seedModelAndOrgs(t.pool, {
    model: { id: MODEL, slug: "fraud-sql-model" },
    orgs: [
      [provider, "fraud-sql-p"],
      [customer, "fraud-sql-c"],
    ],
    nodes: [{ id: worker, orgId: provider }],
  });
  await t.pool.query(
    `INSERT INTO checks (id, kind, status, subject_node_id, subject_org_id, model_id, epoch, job_id)
    VALUES ($1, 'reexecution', 'done', $2, $3, $4, 1, $5)`,
    [verdictCheck, worker, provider, MODEL, proven],
  );
  await insertJob(audited, "succeeded", new Date(Date.now() - 60_000).toISOString());
  await insertJob(proven, "succeeded", new Date(Date.now() - 30_000).toISOString());
  await insertJob(running, "running", null);
  await t.pool.query(`INSERT INTO job_attempts (job_id, attempt, node_id) VALUES ($1, 1, $2)`, [running, worker]);
  await t.pool.query(
    `INSERT INTO held_earnings (job_id, node_id, org_id, amount, charge, release_at) VALUES ($1, $2, $3, 8, 10, now() + interval '1 day')`,
    [audited, worker, provider],
  );
});
afterAll(async () => {
  await t?.drop();
});

describe("fraud SQL", () => {
  it("opens a case: lists the audit, cancels what it overtakes, revokes jobs in flight and claws back", async () => {
    expect(await hasFraudCaseOrSlash(db, { checkId: verdictCheck })).toBe(false);
    expect(await loadFraudSubject(db, { nodeId: worker })).toEqual({ org_id: provider, role: "worker" });
    expect(await loadFraudSubject(db, { nodeId: randomUUID() })).toBeNull();
    expect(await lockOpenFraudCaseId(db, { nodeId: worker })).toBeNull();
    const fraud = await insertFraudCase(db, { nodeId: worker, orgId: provider, checkId: verdictCheck, jobId: proven });
    expect(await lockOpenFraudCaseId(db, { nodeId: worker })).toBe(fraud.id);

    expect(await loadLastPassedCheckAt(db, { nodeId: worker })).toBeNull();
    await insertFraudAuditJobs(db, { caseId: fraud.id, nodeId: worker, auditFrom: null, provenJobId: proven, limit: 10 });
    const sum = await sumFraudAuditJobs(db, { caseId: fraud.id });
    expect(sum?.n).toBe(1);
    expect(BigInt(sum?.total ?? 0n)).toBe(10n);
    const sampled = randomUUID();
    await t.pool.query(
      `INSERT INTO checks (id, kind, status, subject_node_id, subject_org_id, model_id, epoch, job_id)
      VALUES ($1, 'reexecution', 'queued', $2, $3, $4, 1, $5)`,
      [sampled, worker, provider, MODEL, audited],
    );
    await cancelOvertakenChecks(db, { caseId: fraud.id });
    await markAuditedJobsPending(db, { caseId: fraud.id });
    await revokeNodeJobsInFlight(db, { nodeId: worker });
    const { rows: checks } = await t.pool.query(`SELECT status FROM checks WHERE id = $1`, [sampled]);
    expect(checks).toEqual([{ status: "canceled" }]);
    const { rows: jobs } = await t.pool.query(
      `SELECT j.id, j.state, j.verification, j.node_id, j.placement, a.outcome FROM jobs j
      LEFT JOIN job_attempts a ON a.job_id = j.id WHERE j.id = ANY($1::uuid[]) ORDER BY j.finished_at NULLS LAST`,
      [[audited, running]],
    );
    expect(jobs).toMatchObject([
      { id: audited, state: "succeeded", verification: "pending", node_id: worker },
      { id: running, state: "queued", node_id: null, placement: { declined: [worker] }, outcome: "revoked" },
    ]);

    const held = await lockHeldPayouts(db, { nodeId: worker });
    expect(held.map((h) => [h.job_id, BigInt(h.amount)])).toEqual([[audited, 8n]]);
    await markHeldPayoutsClawed(db, { jobIds: [audited], caseId: fraud.id });
    expect(await lockHeldPayouts(db, { nodeId: worker })).toEqual([]);
    const codes = { stakeCode: `node:${worker}:stake`, unbondingCode: `node:${worker}:unbonding`, heldCode: `node:${worker}:held` };
    expect(await lockSlashableBalances(db, codes)).toEqual(new Map());
    expect(await lockFraudPotBalance(db, { potCode: `fraud:${fraud.id}:pot` })).toBe(0n);

    await recordFraudCaseOpening(db, {
      caseId: fraud.id,
      clawedBack: 8n,
      slashed: 5n,
      refunded: 0n,
      auditFrom: null,
      auditJobs: 1,
      auditMode: "reexecute",
    });
    await insertSlash(db, { nodeId: worker, checkId: verdictCheck, jobId: proven, amount: 5n, refunded: 0n, epoch: 1 });
    expect(await hasFraudCaseOrSlash(db, { checkId: verdictCheck })).toBe(true);
    expect(await listAuditingFraudCaseIds(db, { limit: 10 })).toEqual([{ id: fraud.id }]);
    expect(await lockFraudCase(db, { id: fraud.id })).toEqual({
      id: fraud.id,
      node_id: worker,
      org_id: provider,
      check_id: verdictCheck,
      audit_mode: "reexecute",
      status: "auditing",
    });
  });

  it("audits by re-execution, refunds the late and the wrong, and settles", async () => {
    const caseId = (await listAuditingFraudCaseIds(db, { limit: 1 }))[0]?.id as string;
    const [fresh] = await listUncheckedAuditJobs(db, { caseId, limit: 10 });
    expect(fresh).toEqual({ job_id: audited, model_id: MODEL });
    const checkId = await insertAuditCheck(db, {
      subjectNodeId: worker,
      subjectOrgId: provider,
      jobId: audited,
      parentCheckId: verdictCheck,
      modelId: MODEL,
      epoch: 1,
      caseId,
    });
    expect(checkId).toMatch(/^[0-9a-f-]{36}$/);
    await setAuditJobCheck(db, { caseId, jobId: audited, checkId });
    expect(await listUncheckedAuditJobs(db, { caseId, limit: 10 })).toEqual([]);
    expect(await lockLateAuditJobs(db, { caseId, deadlineMs: 3_600_000, limit: 10 })).toEqual([]);
    const late = await lockLateAuditJobs(db, { caseId, deadlineMs: 0, limit: 10 });
    expect(late.map((l) => [l.job_id, l.check_id])).toEqual([[audited, checkId]]);
    expect(await lockAuditJobOfCheck(db, { checkId: checkId as string })).toMatchObject({ case_id: caseId, outcome: null });

    await cancelAuditCheck(db, { checkId: checkId as string });
    await markJobRefunded(db, { jobId: audited, amount: 4n, note: "late" });
    await markAuditJobRefunded(db, { caseId, jobId: audited, amount: 4n });
    await addFraudCaseRefund(db, { caseId, amount: 4n });
    expect(await countOpenAuditJobs(db, { caseId })).toBe(0);
    expect(await lockOpenAuditJobs(db, { caseId, limit: 10 })).toEqual([]);

    // A later verdict's job joins the open case once.
    const joined = { caseId, jobId: proven, customerOrgId: customer, charge: 10n };
    expect(await insertJoinedAuditJob(db, joined)).toBe(true);
    expect(await insertJoinedAuditJob(db, joined)).toBe(false);
    await addJoinedFraudCaseJob(db, { caseId, amount: 0n });
    expect(await countOpenAuditJobs(db, { caseId })).toBe(1);
    expect((await lockOpenAuditJobs(db, { caseId, limit: 10 })).map((o) => o.job_id)).toEqual([proven]);
    await markAuditJobRefunded(db, { caseId, jobId: proven, amount: 0n });

    await markFraudCaseSettled(db, { caseId, toTreasury: 1n });
    expect(await listAuditingFraudCaseIds(db, { limit: 10 })).toEqual([]);
    const touched = await listCaseJobs(db, { caseId });
    expect(touched.map((j) => [j.org_id, j.job_id, j.verification])).toEqual([
      [customer, audited, "refunded"],
      [customer, proven, "unverified"],
    ]);
    const { rows } = await t.pool.query(`SELECT refunded, audit_jobs, status, to_treasury FROM fraud_cases WHERE id = $1`, [caseId]);
    expect(rows).toEqual([{ refunded: "4", audit_jobs: 2, status: "settled", to_treasury: "1" }]);
  });

  it("resolves an audit check: right is verified, wrong refunded", async () => {
    const caseId = randomUUID();
    const right = randomUUID();
    const wrong = randomUUID();
    for (const [jobId, checkId] of [
      [audited, right],
      [running, wrong],
    ]) {
      await t.pool.query(`INSERT INTO fraud_audit_jobs (case_id, job_id, customer_org_id, charge, check_id) VALUES ($1, $2, $3, 10, $4)`, [
        caseId,
        jobId,
        customer,
        checkId,
      ]);
    }
    await markAuditJobOfCheckVerified(db, { checkId: right });
    await markJobVerifiedByAudit(db, { jobId: audited, note: "right" });
    await markAuditJobOfCheckRefunded(db, { checkId: wrong, amount: 3n });
    expect(await lockAuditJobOfCheck(db, { checkId: right })).toMatchObject({ outcome: "verified" });
    expect(await lockAuditJobOfCheck(db, { checkId: wrong })).toMatchObject({ outcome: "refunded" });
    expect(await lockAuditJobOfCheck(db, { checkId: randomUUID() })).toBeNull();
    const { rows } = await t.pool.query(`SELECT verification, verification_note FROM jobs WHERE id = $1`, [audited]);
    expect(rows).toEqual([{ verification: "verified", verification_note: "right" }]);
  });
});
