import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqlClient } from "../sql-client.ts";
import { createTestDatabase, type TestDatabase } from "../testing/create-test-database.ts";
import { seedModelAndOrgs } from "../testing/seed-rows.ts";
import { storeLeasedJobResult } from "./job-completion.ts";

// A completion's store (issue 15): the lease check, the result, the attempt and the node's
// completed-job count in one statement — stored and counted together under the lease, or
// neither.

let t: TestDatabase;
let db: SqlClient;
const MODEL = "f".repeat(64);
const provider = randomUUID();
const customer = randomUUID();
const worker = randomUUID();
const other = randomUUID();

beforeAll(async () => {
  t = await createTestDatabase();
  db = new SqlClient(t.pool);
  await seedModelAndOrgs(t.pool, {
    model: { id: MODEL, slug: "job-completion-model" },
    orgs: [
      [provider, "job-completion-p"],
      [customer, "job-completion-c"],
    ],
    nodes: [
      { id: worker, orgId: provider },
      { id: other, orgId: provider },
    ],
  });
});
afterAll(async () => {
  await t?.drop();
});

async function runningJob(): Promise<string> {
  const id = randomUUID();
  await t.pool.query(
    `INSERT INTO jobs (id, org_id, model_id, cost_milli_cu, price, input_hash, input_bytes, state, node_id, attempt)
    VALUES ($1, $2, $3, 7, 10, 'h', 1, 'running', $4, 2)`,
    [id, customer, MODEL, worker],
  );
  await t.pool.query(`INSERT INTO job_payloads (job_id, input) VALUES ($1, '{"text":"hi"}')`, [id]);
  await t.pool.query(`INSERT INTO job_attempts (job_id, attempt, node_id) VALUES ($1, 2, $2)`, [id, worker]);
  return id;
}

const completed = async (node: string) =>
  (await t.pool.query<{ n: number }>(`SELECT completed_jobs AS n FROM nodes WHERE id = $1`, [node])).rows[0]?.n;

/** The worker's result for `job` at attempt 2, with what the test changes. */
const storeFor = (job: string, o: Partial<{ attempt: number; nodeId: string; modelId: string; inputHash: string }> = {}) =>
  storeLeasedJobResult(db, {
    jobId: job,
    attempt: 2,
    nodeId: worker,
    modelId: MODEL,
    inputHash: "h",
    outputHash: "oh",
    receipt: { signed: true },
    output: { vector: [1] },
    inferenceMs: 3.4,
    ...o,
  });

describe("storeLeasedJobResult", () => {
  it("stores the result and counts the node's job together, only under the lease and the receipt's claims", async () => {
    const job = await runningJob();
    const store = (o: Parameters<typeof storeFor>[1]) => storeFor(job, o);
    // Another attempt, another node, another model or input: nothing stored, nothing counted.
    for (const wrong of [{ attempt: 1 }, { nodeId: other }, { modelId: "0".repeat(64) }, { inputHash: "x" }]) {
      expect(await store(wrong), JSON.stringify(wrong)).toBeNull();
    }
    expect([await completed(worker), await completed(other)]).toEqual([0, 0]);

    const stored = await store({});
    expect(stored).toMatchObject({ id: job, state: "succeeded", attempt: 2, output_hash: "oh", webhooks: false });
    expect(stored?.node).toEqual({ completed_jobs: 1, reputation_score: 0.5, bonded: null, frauds: 0 });
    expect(await completed(worker)).toBe(1);
    const row = await t.pool.query(
      `SELECT p.output, a.outcome::text AS outcome, a.inference_ms FROM job_payloads p JOIN job_attempts a ON a.job_id = p.job_id WHERE p.job_id = $1`,
      [job],
    );
    expect(row.rows[0]).toEqual({ output: { vector: [1] }, outcome: "succeeded", inference_ms: 3 });

    // A retry finds the job no longer running: stores nothing, counts nothing again.
    expect(await store({})).toBeNull();
    expect(await completed(worker)).toBe(1);
  });

  it("reads the node's stake and its provider's frauds with the count", async () => {
    await t.pool.query(`INSERT INTO ledger_accounts (id, code, kind, balance) VALUES (gen_random_uuid(), $1, 'stake', 500)`, [
      `node:${worker}:stake`,
    ]);
    const stored = await storeFor(await runningJob());
    expect(stored?.node).toEqual({ completed_jobs: 2, reputation_score: 0.5, bonded: 500n, frauds: 0 });
  });
});
