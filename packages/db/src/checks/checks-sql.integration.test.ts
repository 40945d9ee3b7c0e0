import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqlClient } from "../sql-client.ts";
import { createTestDatabase, type TestDatabase } from "../testing/create-test-database.ts";
import { seedModelAndOrgs } from "../testing/seed-rows.ts";
import { loadChallengeItemRows, loadJobItemRow } from "./check-items.ts";
import { claimCheckForPlatform, leaseNextCheck, sweepExpiredCheckLeases } from "./check-leases.ts";
import { loadCheckRow } from "./check-rows.ts";
import { hasActiveCheckerLicence } from "./checker-licences.ts";
import { countCheckerWork, lockCheckerPoolBalance } from "./checker-rewards.ts";
import { countEpochChecks, countEpochJobs, countEpochSlashes } from "./epoch-counts.ts";
import { insertEpoch, isEpochClosed, listEpochRows } from "./epochs.ts";
import { insertFraudNoticeEmail, loadOrgOwnerEmails } from "./fraud-notices.ts";
import { loadPlatformDueChecks } from "./platform-due-checks.ts";
import { countRecentReexecutionChecks, drawVerifiedCustomerJob, insertPlantedCheck } from "./planted-checks.ts";
import { countWorkerPasses, queueReexecutionCheck } from "./reexecution-sampling.ts";
import { countVerificationSince } from "./verification-counts.ts";

// Each statement of the checks domain against the real schema, on the pg client the services use.

let t: TestDatabase;
let db: SqlClient;
const MODEL = "c".repeat(64);
const provider = randomUUID();
const customer = randomUUID();
const checkerOrg = randomUUID();
const worker = randomUUID();
const checker = randomUUID();
const job = randomUUID();

beforeAll(async () => {
  t = await createTestDatabase();
  db = new SqlClient(t.pool);
  await seedModelAndOrgs(t.pool, {
    model: { id: MODEL, slug: "checks-sql-model" },
    orgs: [
      [provider, "checks-sql-p"],
      [customer, "checks-sql-c"],
      [checkerOrg, "checks-sql-k"],
    ],
    nodes: [
      { id: worker, orgId: provider },
      { id: checker, orgId: checkerOrg, role: "checker" },
    ],
  });
  await t.pool.query(`INSERT INTO checker_licences (id, org_id, node_id) VALUES (gen_random_uuid(), $1, $2)`, [checkerOrg, checker]);
  await t.pool.query(
    `INSERT INTO jobs (id, org_id, model_id, cost_milli_cu, price, input_hash, input_bytes, state, verification, node_id, finished_at)
    VALUES ($1, $2, $3, 7, 10, 'h', 1, 'succeeded', 'verified', $4, now())`,
    [job, customer, MODEL, worker],
  );
  await t.pool.query(`INSERT INTO job_payloads (job_id, input, output) VALUES ($1, '{"text":"hi"}', '{"vector":[1]}')`, [job]);
  const user = randomUUID();
  await t.pool.query(`INSERT INTO users (id, email, name) VALUES ($1, 'owner@example.com', 'Owner')`, [user]);
  await t.pool.query(`INSERT INTO memberships (user_id, org_id, role) VALUES ($1, $2, 'owner')`, [user, customer]);
});
afterAll(async () => {
  await t?.drop();
});

describe("checks SQL", () => {
  it("plants a check on a verified customer job", async () => {
    const drawn = await drawVerifiedCustomerJob(db);
    expect(drawn).toMatchObject({
      id: job,
      model_id: MODEL,
      node_id: worker,
      node_org: provider,
      kind: "embedding",
      output: { vector: [1] },
    });
    await insertPlantedCheck(db, {
      subjectNodeId: worker,
      subjectOrgId: provider,
      jobId: job,
      modelId: MODEL,
      plantedOutput: { vector: [2] },
      epoch: 1,
    });
    const { rows } = await t.pool.query(`SELECT planted_output FROM checks WHERE kind = 'planted'`);
    expect(rows[0].planted_output).toEqual({ vector: [2] });
  });

  it("samples a job for re-execution, leases it to an independent checker and loads its item", async () => {
    expect(await countWorkerPasses(db, { nodeId: worker })).toBe(0);
    await t.pool.query(`UPDATE jobs SET verification = 'unverified' WHERE id = $1`, [job]);
    await queueReexecutionCheck(db, { subjectNodeId: worker, subjectOrgId: provider, jobId: job, modelId: MODEL, epoch: 1, rate: 0.25 });
    // The check and the job's pending verification, written together.
    expect((await t.pool.query(`SELECT verification::text AS v FROM jobs WHERE id = $1`, [job])).rows[0].v).toBe("pending");
    expect(await countRecentReexecutionChecks(db, { sinceMs: 60_000 })).toBe(1);

    expect(await hasActiveCheckerLicence(db, { nodeId: checker })).toBe(true);
    expect(await hasActiveCheckerLicence(db, { nodeId: worker })).toBe(false);
    // The subject's own provider never gets it.
    expect(await leaseNextCheck(db, { nodeId: worker, orgId: provider, models: [MODEL], leaseMs: 60_000 })).toBeNull();
    const first = await leaseNextCheck(db, { nodeId: checker, orgId: checkerOrg, models: [MODEL], leaseMs: 60_000 });
    const second = await leaseNextCheck(db, { nodeId: checker, orgId: checkerOrg, models: [MODEL], leaseMs: 60_000 });
    expect(new Set([first, second]).size).toBe(2);
    const row = await loadCheckRow<{ rate?: number }>(db, { id: first as string, lock: true });
    expect(row).toMatchObject({ status: "leased", checker_node_id: checker, attempt: 1, job_id: job });
    expect(await loadJobItemRow(db, { jobId: job })).toEqual({
      id: job,
      model_id: MODEL,
      slug: "checks-sql-model",
      input: { text: "hi" },
      output: { vector: [1] },
      cost_milli_cu: 7,
    });
    expect(await sweepExpiredCheckLeases(db)).toBe(0);
    expect(await claimCheckForPlatform(db, { id: first as string, leaseMs: 60_000 })).toBe(false);
    expect(await loadPlatformDueChecks(db, { disputeDeadlineMs: 0, checkDeadlineMs: 0, limit: 5 })).toEqual([]);
  });

  it("loads a challenge check's items with their charged times", async () => {
    const check = randomUUID();
    const pinned = randomUUID();
    await t.pool.query(
      `INSERT INTO checks (id, kind, status, subject_node_id, subject_org_id, model_id, epoch)
      VALUES ($1, 'standby', 'waiting', $2, $3, $4, 1)`,
      [check, worker, provider, MODEL],
    );
    await t.pool.query(
      `INSERT INTO jobs (id, org_id, model_id, cost_milli_cu, price, input_hash, input_bytes, state, purpose, pinned_node_id, check_id)
      VALUES ($1, $2, $3, 5, 1, 'h', 1, 'succeeded', 'challenge', $4, $5)`,
      [pinned, provider, MODEL, worker, check],
    );
    await t.pool.query(`INSERT INTO job_payloads (job_id, input, output) VALUES ($1, '{}', '{}')`, [pinned]);
    await t.pool.query(
      `INSERT INTO job_attempts (job_id, attempt, node_id, leased_at, finished_at, outcome, inference_ms)
      VALUES ($1, 1, $2, now() - interval '1 second', now(), 'succeeded', 20)`,
      [pinned, worker],
    );
    const [item] = await loadChallengeItemRows(db, { checkId: check, protocolAllowanceMs: 60 });
    expect(item).toMatchObject({ id: pinned, receipt_ms: 20, lease_ms: 1000, wall_ms: 940, claimed: 0 });
  });

  it("counts an epoch, pays nothing from an empty pool and records it once", async () => {
    const startsAt = new Date(Date.now() - 3_600_000);
    const endsAt = new Date(Date.now() + 3_600_000);
    expect(await countEpochJobs(db, { startsAt, endsAt })).toEqual({ customer: 1, challenge: 0 });
    expect(await countEpochChecks(db, { startsAt, endsAt })).toEqual({ run: 0, passes: 0, mismatches: 0, frauds: 0, reexecuted: 0 });
    expect(await countEpochSlashes(db, { startsAt, endsAt })).toEqual({ n: 0, amount: "0", refunds: 0 });
    expect(await lockCheckerPoolBalance(db, { code: "no-such-account" })).toBe(0n);
    expect(await countCheckerWork(db, { startsAt, endsAt })).toEqual([]);
    expect(await isEpochClosed(db, { epoch: 7 })).toBe(false);
    const row = {
      id: 7,
      starts_at: startsAt,
      ends_at: endsAt,
      customer_jobs: 1,
      challenge_jobs: 1,
      checks_run: 0,
      passes: 0,
      mismatches: 0,
      frauds: 0,
      slashes: 0,
      slashed_amount: 0n,
      refunds: 0,
      reexecuted: 0,
      recheck_rate: 0,
      checker_rewards: 0n,
    };
    await insertEpoch(db, { row });
    await insertEpoch(db, { row: { ...row, customer_jobs: 99 } });
    expect(await isEpochClosed(db, { epoch: 7 })).toBe(true);
    const [listed] = await listEpochRows(db, { limit: 10 });
    expect(listed).toMatchObject({ id: 7, customer_jobs: 1 });
    expect(await countVerificationSince(db, { since: startsAt })).toEqual({ checks: 0, frauds: 0, open: 3, slashes: 0 });
  });

  it("emails a customer organisation's owners through the outbox", async () => {
    expect(await loadOrgOwnerEmails(db, { orgId: customer })).toEqual([{ email: "owner@example.com", name: "checks-sql-c" }]);
    await insertFraudNoticeEmail(db, { toAddress: "owner@example.com", subject: "s", bodyText: "b" });
    const { rows } = await t.pool.query(`SELECT to_address, kind FROM outbound_emails`);
    expect(rows).toEqual([{ to_address: "owner@example.com", kind: "fraud_notice" }]);
  });
});
