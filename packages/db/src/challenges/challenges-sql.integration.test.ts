import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqlClient } from "../sql-client.ts";
import { createTestDatabase, type TestDatabase } from "../testing/create-test-database.ts";
import { seedModelAndOrgs } from "../testing/seed-rows.ts";
import {
  countOpenChallengeChecks,
  failAbandonedChallengeCheck,
  insertChallengeCheck,
  loadWaitingChallengeChecks,
  queueWaitingCheck,
  recordChallengeItemSeed,
} from "./challenge-checks.ts";
import {
  insertCorpusInput,
  insertCorpusItem,
  loadReplayCandidates,
  takeCorpusItems,
  takeReplayInput,
  trimChallengeCorpus,
} from "./challenge-corpus.ts";
import { insertChallengeJob, insertChallengeJobPayload } from "./challenge-jobs.ts";
import { loadCustomChallengeModel, loadModelsByIds } from "./challenge-models.ts";
import { clearRemeasureAfter, loadRegistrationSubjects, loadStandbySubjects } from "./challenge-subjects.ts";
import { drawRecentCustomerModel } from "./recent-customer-model.ts";
import { drawTrafficSample, insertTrafficSamples, loadTrafficJobs, trimTrafficSamples } from "./traffic-samples.ts";
import { hasCustomerLeaseAfter, loadLeaseHistory, loadWorkerLeasesSince } from "./worker-leases.ts";

// Each statement of the challenges domain against the real schema, on the pg client the services use.

let t: TestDatabase;
let db: SqlClient;
const MODEL = "d".repeat(64);
const protocol = randomUUID();
const provider = randomUUID();
const customer = randomUUID();
const other = randomUUID();
const pending = randomUUID();
const admitted = randomUUID();
const job = randomUUID();
const before = new Date(Date.now() - 60_000);

beforeAll(async () => {
  t = await createTestDatabase();
  db = new SqlClient(t.pool);
  await seedModelAndOrgs(t.pool, {
    model: { id: MODEL, slug: "challenges-sql-model" },
    orgs: [
      [protocol, "challenges-sql-protocol"],
      [provider, "challenges-sql-p"],
      [customer, "challenges-sql-c"],
      [other, "challenges-sql-o"],
    ],
    orgColumns: { donatesChallengeInputs: true },
  });
  await t.pool.query(
    `INSERT INTO nodes (id, org_id, name, public_key, region, status, models, admission, idle_since, remeasure_after)
    VALUES ($1, $2, 'p', 'kp', 'local', 'online', $3, 'pending', now() - interval '1 hour', now()),
           ($4, $2, 'a', 'ka', 'local', 'online', $3, 'passed', NULL, NULL)`,
    [pending, provider, [MODEL], admitted],
  );
  await t.pool.query(
    `INSERT INTO jobs (id, org_id, model_id, cost_milli_cu, price, input_hash, input_bytes, state, node_id, finished_at)
    VALUES ($1, $2, $3, 1, 1, 'h', 1, 'succeeded', $4, now())`,
    [job, customer, MODEL, admitted],
  );
  await t.pool.query(`INSERT INTO job_payloads (job_id, input, output) VALUES ($1, '{"text":"hello"}', '{"vector":[1]}')`, [job]);
  await t.pool.query(`INSERT INTO job_attempts (job_id, attempt, node_id, outcome) VALUES ($1, 1, $2, 'succeeded')`, [job, admitted]);
});
afterAll(async () => {
  await t?.drop();
});

describe("challenges SQL", () => {
  it("picks the workers due a registration or a standby check", async () => {
    expect(await loadRegistrationSubjects(db, { registrationIdleMs: 60_000, registrationMaxWaitMs: 3_600_000 })).toEqual([
      { id: pending, org_id: provider, models: [MODEL] },
    ]);
    await clearRemeasureAfter(db, { nodeId: pending });
    const { rows } = await t.pool.query(`SELECT remeasure_after FROM nodes WHERE id = $1`, [pending]);
    expect(rows[0].remeasure_after).toBeNull();
    const standby = await loadStandbySubjects(db);
    expect(standby.map((s) => s.id)).toEqual([admitted]);
    expect(Number(standby[0]?.idle_ms)).toBeGreaterThanOrEqual(0);
  });

  it("opens a challenge check with one job, once per idempotency key, and moves it along", async () => {
    expect(await loadModelsByIds(db, { modelIds: [MODEL, "unknown"] })).toEqual([{ id: MODEL, slug: "challenges-sql-model" }]);
    const check = randomUUID();
    await insertChallengeCheck(db, {
      id: check,
      kind: "canary",
      subjectNodeId: admitted,
      subjectOrgId: provider,
      modelId: MODEL,
      seed: "s",
      plannedJobs: 1,
      epoch: 1,
    });
    const challengeJob = randomUUID();
    const opts = {
      id: challengeJob,
      orgId: protocol,
      modelId: MODEL,
      costMilliCu: 1,
      price: 3n,
      inputHash: "h",
      inputBytes: 2,
      idempotencyKey: `challenge:${check}:0`,
      pinnedNodeId: admitted,
      checkId: check,
    };
    expect(await insertChallengeJob(db, opts)).toBe(true);
    expect(await insertChallengeJob(db, { ...opts, id: randomUUID() })).toBe(false);
    await insertChallengeJobPayload(db, { jobId: challengeJob, input: { text: "x" } });
    await recordChallengeItemSeed(db, { checkId: check, jobId: challengeJob, itemSeed: "seed0" });
    const { rows } = await t.pool.query(`SELECT evidence FROM checks WHERE id = $1`, [check]);
    expect(rows[0].evidence).toEqual({ seeds: { [challengeJob]: "seed0" } });
    expect(await loadWaitingChallengeChecks(db)).toEqual([
      {
        id: check,
        kind: "canary",
        seed: "s",
        planned_jobs: 1,
        subject_node_id: admitted,
        models: [MODEL],
        total: 1,
        open: 1,
        succeeded: 0,
      },
    ]);
    expect(await countOpenChallengeChecks(db, { nodeId: admitted })).toBe(1);
    expect(await failAbandonedChallengeCheck(db, { checkId: check })).toBe(1);
    expect(await failAbandonedChallengeCheck(db, { checkId: check })).toBe(0);
    await queueWaitingCheck(db, { checkId: check });
    const after = await t.pool.query(`SELECT status, verdict, evidence->>'resolution' AS resolution FROM checks WHERE id = $1`, [check]);
    expect(after.rows[0]).toEqual({ status: "done", verdict: "fail", resolution: "challenge jobs failed" });
    expect(await countOpenChallengeChecks(db, { nodeId: admitted })).toBe(0);
  });

  it("reads a worker's leases and its recent customer model", async () => {
    const leases = await loadWorkerLeasesSince(db, { from: before, limit: 10 });
    expect(leases).toHaveLength(1);
    expect(leases[0]).toMatchObject({ node_id: admitted, org_id: provider, customer: true, completed_jobs: 0 });
    expect(await hasCustomerLeaseAfter(db, { nodeId: admitted, at: before })).toBe(true);
    expect(await hasCustomerLeaseAfter(db, { nodeId: admitted, at: new Date(Date.now() + 60_000) })).toBe(false);
    expect(
      (await loadLeaseHistory(db, { nodeId: admitted, before: new Date(Date.now() + 60_000), limit: 10 })).map((l) => l.customer),
    ).toEqual([true]);
    expect(await drawRecentCustomerModel(db, { nodeId: admitted })).toBe(MODEL);
    expect(await drawRecentCustomerModel(db, { nodeId: pending })).toBeNull();
  });

  it("finds an uploaded model a challenge may go to: still owned, accepted by the node, and run by it for a customer", async () => {
    const CUSTOM = "e".repeat(64);
    await t.pool.query(
      `INSERT INTO models (id, slug, name, kind, description, signature, base_cost_milli_cu, built_in)
       VALUES ($1, 'custom-eeeeeeeeeeee', 'c', 'tensor', '', '{}', 7, false)`,
      [CUSTOM],
    );
    await t.pool.query(`INSERT INTO custom_models (org_id, model_id, name) VALUES ($1, $2, 'c')`, [customer, CUSTOM]);
    const find = () => loadCustomChallengeModel(db, { modelId: CUSTOM, nodeId: admitted });
    // Not accepted, and never run by the node.
    expect(await find()).toBeNull();
    await t.pool.query(`UPDATE nodes SET accepts_custom_models = true WHERE id = $1`, [admitted]);
    expect(await find()).toBeNull();
    await t.pool.query(
      `INSERT INTO jobs (id, org_id, model_id, cost_milli_cu, price, input_hash, input_bytes, state, node_id, finished_at)
       VALUES ($1, $2, $3, 7, 1, 'h2', 1, 'succeeded', $4, now())`,
      [randomUUID(), customer, CUSTOM, admitted],
    );
    expect(await find()).toEqual({ id: CUSTOM, slug: "custom-eeeeeeeeeeee", kind: "tensor", base_cost_milli_cu: 7 });
    // A catalog model is never one, and neither is a model its owner gave up.
    expect(await loadCustomChallengeModel(db, { modelId: MODEL, nodeId: admitted })).toBeNull();
    await t.pool.query(`DELETE FROM custom_models WHERE model_id = $1`, [CUSTOM]);
    expect(await find()).toBeNull();
    await t.pool.query(`UPDATE nodes SET accepts_custom_models = false WHERE id = $1`, [admitted]);
  });

  it("samples traffic shapes, keeps a bounded number and draws one", async () => {
    const jobs = await loadTrafficJobs(db, { after: before, limit: 10, protocolOrgId: protocol });
    expect(jobs).toEqual([
      {
        id: job,
        finished_at: expect.any(Date),
        model_id: MODEL,
        slug: "challenges-sql-model",
        input: { text: "hello" },
        output: { vector: [1] },
        donates: true,
        provider,
      },
    ]);
    await insertTrafficSamples(db, [{ modelId: MODEL, jobId: job, shape: { kind: "embedding", lengths: [5] } }]);
    await insertTrafficSamples(db, [{ modelId: MODEL, jobId: job, shape: { kind: "embedding", lengths: [6] } }]);
    expect(await drawTrafficSample(db, { modelId: MODEL })).toEqual({ kind: "embedding", lengths: [5] });
    await trimTrafficSamples(db, { perModel: 0 });
    expect(await drawTrafficSample(db, { modelId: MODEL })).toBeNull();
  });

  it("replays a donated input once, never to the provider that ran it, and draws corpus content least used first", async () => {
    await insertCorpusInput(db, {
      modelId: MODEL,
      input: { text: "hello" },
      shape: { lengths: [5] },
      sourceJobId: job,
      sourceOrgId: provider,
    });
    expect(await loadReplayCandidates(db, { modelId: MODEL, subjectOrgId: provider, limit: 5 })).toEqual([]);
    const [candidate] = await loadReplayCandidates<{ lengths: number[] }>(db, { modelId: MODEL, subjectOrgId: other, limit: 5 });
    expect(candidate?.shape).toEqual({ lengths: [5] });
    expect(await takeReplayInput(db, { id: candidate?.id as bigint })).toEqual({ text: "hello" });
    expect(await takeReplayInput(db, { id: candidate?.id as bigint })).toBeNull();

    const audio = Buffer.from([1, 0, 2, 0]);
    await insertCorpusItem(db, {
      kind: "sentence",
      text: "A sentence.",
      audio: null,
      durationMs: null,
      sourceJobId: job,
      sourceOrgId: provider,
    });
    await insertCorpusItem(db, { kind: "speech", text: null, audio, durationMs: 500, sourceJobId: job, sourceOrgId: provider });
    expect(await takeCorpusItems(db, { kind: "sentence", subjectOrgId: provider, limit: 5 })).toEqual([]);
    expect((await takeCorpusItems(db, { kind: "sentence", subjectOrgId: other, limit: 5 })).map((r) => r.text)).toEqual(["A sentence."]);
    const [speech] = await takeCorpusItems(db, { kind: "speech", subjectOrgId: other, limit: 5 });
    expect(Buffer.from(speech?.audio as Buffer).equals(audio)).toBe(true);
    await trimChallengeCorpus(db, { inputsPerModel: 0, perKind: 0 });
    const { rows } = await t.pool.query(`SELECT count(*)::int AS n FROM challenge_corpus`);
    expect(rows[0].n).toBe(0);
  });
});
