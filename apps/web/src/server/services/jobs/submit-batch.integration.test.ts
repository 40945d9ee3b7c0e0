import { checkLedger, getBalances, orgAccountCode } from "@proofgrid/db/ledger";
import { sql } from "@proofgrid/db/sql-client";
import { hashJson } from "@proofgrid/por";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { POST, GET } from "~/app/api/v1/jobs/batch/route";
import { createApiKey } from "../../auth/api-keys.ts";
import { matchDataPlane } from "../../http/data-plane.ts";
import {
  completeAs,
  createModel,
  createWorker,
  ENCODER,
  encoderOutput,
  jobRow,
  orgBalances,
  type TestWorker,
} from "../../testing/job-fixtures.ts";
import { createOrg, setupServiceDatabase } from "../../testing/service-database.ts";
import { grantCredits } from "../billing/grant-credits.ts";
import { priceForCost } from "../billing/pricing.ts";
import { failJob } from "../nodes/fail-job.ts";
import { cancelJob } from "./cancel-job.ts";
import type { SubmittedJob } from "./submit-job.ts";
import { sweepLeases } from "./sweep-leases.ts";

// Batch submission against a real Postgres, through the route handler: a batch is all its
// jobs, each with its payload, and ONE hold transfer of their total, or (any item bad, the
// credits short, the batch too long) nothing at all. Afterwards every job lives on its own:
// settled, failed, canceled or expired, each charges or releases exactly its own price, and
// the one batch hold ends fully accounted for (held back to zero, the ledger balanced).

const LIST_PRICE = 50_000n;
const MAX_ITEMS = 12;
const TOKEN = 1_000_000n;

const db = setupServiceDatabase({
  name: "submit-batch",
  env: {
    PRICE_PER_CU_BASE_UNITS: String(LIST_PRICE),
    JOB_BATCH_MAX_ITEMS: String(MAX_ITEMS),
    POR_STAKE_REQUIRED: "0",
    POR_CHALLENGES: "0",
  },
});

let modelId: string;
let provider: string;
let worker: TestWorker;

beforeAll(async () => {
  modelId = await createModel(ENCODER);
  provider = await createOrg("batch-provider", "provider");
  worker = await createWorker({ orgId: provider, models: [modelId], maxConcurrency: 100 });
});

/** A customer with `tokens` of credits and an API key with every job scope. */
async function customer(slug: string, tokens = 1_000n * TOKEN): Promise<{ org: string; key: string }> {
  const org = await createOrg(slug, "customer", tokens);
  const { key } = await createApiKey({ orgId: org, name: slug, scopes: ["jobs:write", "jobs:read"] });
  return { org, key };
}

/** The route's answer: the jobs, or the error. */
interface BatchReply {
  jobs: SubmittedJob[];
  error: { code: string; message: string };
}

/** POST /api/v1/jobs/batch as a client sends it. */
async function postBatch(key: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: BatchReply }> {
  const res = await POST(
    new Request("http://localhost/api/v1/jobs/batch", {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    }),
  );
  return { status: res.status, body: (await res.json()) as BatchReply };
}

/** `n` encoder items with different inputs and caps, so their prices differ. */
function items(n: number, tag: string) {
  return Array.from({ length: n }, (_, i) => ({
    model: ENCODER,
    input: i % 2 === 0 ? { text: `${tag} ${i}` } : { texts: Array.from({ length: 1 + (i % 4) }, (_, k) => `${tag} ${i}.${k}`) },
    ...(i % 3 === 0 ? { maxPricePerCu: String(LIST_PRICE * BigInt(1 + i)) } : {}),
  }));
}

/** Everything a batch writes for the organisation: its jobs and payloads, the ledger's transfers, its balances. */
async function footprint(orgId: string) {
  return {
    jobs: await db.t.prisma.job.count({ where: { orgId } }),
    payloads: await db.t.prisma.jobPayload.count({ where: { job: { orgId } } }),
    transfers: await db.t.prisma.ledgerTransfer.count(),
    balances: await orgBalances(orgId),
  };
}

/** The hold transfers that moved credits into the organisation's `held` account, with their amount there. */
async function holdsOf(orgId: string): Promise<{ jobId: string | null; amount: bigint }[]> {
  const rows = await sql().$queryRaw<{ job_id: string | null; amount: bigint }[]>`
    SELECT t.job_id, e.amount FROM ledger_transfers t
    JOIN ledger_entries e ON e.transfer_id = t.id JOIN ledger_accounts a ON a.id = e.account_id
    WHERE t.kind = 'hold' AND a.code = ${orgAccountCode(orgId, "held")}`;
  return rows.map((r) => ({ jobId: r.job_id, amount: BigInt(r.amount) }));
}

/** The job leased to the worker, as the dispatcher and the lease leave it, at `unitPrice` (null: the hold is the charge). */
async function run(jobId: string, unitPrice: bigint | null): Promise<number> {
  await sql().$executeRaw`
    UPDATE jobs SET state = 'running', node_id = ${worker.identity.id}::uuid, attempt = attempt + 1, unit_price = ${unitPrice},
      lease_expires_at = now() + interval '1 minute', started_at = now()
    WHERE id = ${jobId}::uuid`;
  return (await jobRow(jobId)).attempt;
}

const textsOf = (j: SubmittedJob, input: unknown) => {
  const i = input as { text?: string; texts?: string[] };
  expect(j.inputHash).toBe(hashJson(input));
  return i.texts ? i.texts.length : 1;
};

type Fate = "settle" | "settle-cheaper" | "fail" | "cancel" | "expire" | "queued";

/** Ends (or leaves) one job as `fate` says through the real services; returns what the customer was charged. */
async function endAs(org: string, job: SubmittedJob, input: unknown, fate: Fate): Promise<bigint> {
  const held = BigInt(job.price);
  switch (fate) {
    case "settle": {
      const attempt = await run(job.id, null);
      expect((await completeAs(worker, { id: job.id, attempt }, encoderOutput(textsOf(job, input)))).status).toBe("accepted");
      return held;
    }
    case "settle-cheaper": {
      // The worker asks less than the cap: the charge is its ask and the rest goes back.
      const ask = 7_000n;
      const attempt = await run(job.id, ask);
      expect((await completeAs(worker, { id: job.id, attempt }, encoderOutput(textsOf(job, input)))).status).toBe("accepted");
      const charge = priceForCost(job.costMilliCu, ask);
      return charge < held ? charge : held;
    }
    case "fail": {
      const attempt = await run(job.id, null);
      await failJob({ node: worker.identity, request: { jobId: job.id, attempt, kind: "error", retryable: false, error: "boom" } });
      return 0n;
    }
    case "cancel":
      await cancelJob({ orgId: org, jobId: job.id });
      return 0n;
    case "expire":
      // Its last attempt's lease ran out: the sweep fails it and releases its hold.
      await sql().$executeRaw`
        UPDATE jobs SET state = 'running', node_id = ${worker.identity.id}::uuid, attempt = max_attempts,
          lease_expires_at = now() - interval '1 second', started_at = now()
        WHERE id = ${job.id}::uuid`;
      await sweepLeases();
      expect((await jobRow(job.id)).state).toBe("failed");
      return 0n;
    case "queued":
      return 0n;
  }
}

describe("POST /api/v1/jobs/batch", () => {
  it("queues every job of a batch of 10 in order, with ONE hold transfer of their total", async () => {
    const { org, key } = await customer("ten");
    const before = await footprint(org);
    const batch = items(10, "ten");

    const res = await postBatch(key, { jobs: batch });

    expect(res.status).toBe(201);
    const jobs = res.body.jobs;
    expect(jobs).toHaveLength(10);
    const prices = jobs.map((j) => BigInt(j.price));
    const total = prices.reduce((a, b) => a + b, 0n);
    expect(new Set(prices).size).toBeGreaterThan(2); // the items' prices differ, so the sum is a real check
    for (const [i, j] of jobs.entries()) {
      // In the request's order, each priced at its own cap (or the list price) and stored as it was answered.
      expect(j).toMatchObject({ state: "queued", model: ENCODER, modelId, inputHash: hashJson(batch[i]?.input) });
      const cap = batch[i]?.maxPricePerCu ? BigInt(batch[i]?.maxPricePerCu as string) : LIST_PRICE;
      expect(BigInt(j.price)).toBe(priceForCost(j.costMilliCu, cap));
      expect(await jobRow(j.id)).toMatchObject({
        state: "queued",
        orgId: org,
        price: BigInt(j.price),
        payload: { input: batch[i]?.input, output: null },
      });
    }
    expect(await footprint(org)).toEqual({
      jobs: before.jobs + 10,
      payloads: before.payloads + 10,
      transfers: before.transfers + 1,
      balances: { available: before.balances.available - total, held: before.balances.held + total },
    });
    expect(await holdsOf(org)).toEqual([{ jobId: null, amount: total }]);
    expect((await checkLedger(sql())).ok).toBe(true);
  });

  it("refuses the whole batch when item 7 is bad, naming it, and writes nothing", async () => {
    const { org, key } = await customer("bad-item");
    const before = await footprint(org);
    const cases: [unknown, number, RegExp][] = [
      [{ model: ENCODER, input: { text: "" } }, 400, /^jobs\[7\]: .*text is empty/],
      [{ model: "no-such-model", input: { text: "x" } }, 400, /^jobs\[7\]: unknown model 'no-such-model'/],
      [{ model: ENCODER, input: { text: "a\u0000b" } }, 400, /^jobs\[7\]: .*U\+0000/],
      [{ model: ENCODER, input: { text: "a".repeat(2_001) } }, 413, /^jobs\[7\]: .*too large/],
      [{ model: 7, input: { text: "x" } }, 400, /jobs\[7\]\.model/],
    ];
    for (const [bad, status, message] of cases) {
      const batch: unknown[] = items(10, "bad");
      batch[7] = bad;
      const res = await postBatch(key, { jobs: batch });
      expect(res.status, JSON.stringify(res.body)).toBe(status);
      expect(res.body.error.message).toMatch(message);
      expect(await footprint(org)).toEqual(before);
    }
  });

  it("answers 402 when the credits fall one base unit short of the batch's total, and writes nothing", async () => {
    const batch = items(6, "poor");
    // What the batch costs, from a customer who can pay it.
    const probe = await customer("poor-probe");
    const total = (await postBatch(probe.key, { jobs: batch })).body.jobs.reduce((s, j) => s + BigInt(j.price), 0n);
    const { org, key } = await customer("poor", total - 1n);
    const before = await footprint(org);
    const res = await postBatch(key, { jobs: batch });
    expect(res.status).toBe(402);
    expect(res.body.error.code).toBe("INSUFFICIENT_CREDITS");
    expect(res.body.error.message).toMatch(/this batch of 6 jobs costs/);
    expect(await footprint(org)).toEqual(before);
    // One base unit more and it fits, to the unit.
    await grantCredits({ orgId: org, amount: 1n, idempotencyKey: "funds:poor:1", memo: "test" });
    expect((await postBatch(key, { jobs: batch })).status).toBe(201);
    expect(await orgBalances(org)).toEqual({ available: 0n, held: total });
  });

  it("refuses a batch over JOB_BATCH_MAX_ITEMS (413), an empty one and one over the ceiling (400)", async () => {
    const { org, key } = await customer("too-long");
    const before = await footprint(org);
    const over = await postBatch(key, { jobs: items(MAX_ITEMS + 1, "long") });
    expect(over.status).toBe(413);
    expect(over.body.error.message).toMatch(`at most ${MAX_ITEMS} jobs`);
    expect((await postBatch(key, { jobs: [] })).status).toBe(400);
    expect((await postBatch(key, { jobs: items(1_001, "huge") })).status).toBe(400);
    expect((await postBatch(key, { jobs: "all of them" })).status).toBe(400);
    expect(await footprint(org)).toEqual(before);
    expect((await postBatch(key, { jobs: items(MAX_ITEMS, "fits") })).status).toBe(201);
  });

  it("replays a retried batch (same Idempotency-Key and body) as the first answer, one batch; another body is a 422", async () => {
    const { org, key } = await customer("idem");
    const batch = items(4, "idem");
    const first = await postBatch(key, { jobs: batch }, { "idempotency-key": "batch-42" });
    expect(first.status).toBe(201);
    const settled = await footprint(org);
    const again = await postBatch(key, { jobs: batch }, { "idempotency-key": "batch-42" });
    expect(again).toEqual(first);
    // Racing retries of a new key (a client that timed out and resent) make one batch too.
    const racing = await Promise.all([1, 2, 3].map(() => postBatch(key, { jobs: batch }, { "idempotency-key": "batch-43" })));
    expect(racing.map((r) => r.status)).toEqual([201, 201, 201]);
    expect(new Set(racing.map((r) => JSON.stringify(r.body))).size).toBe(1);
    const afterRace = await footprint(org);
    expect(afterRace.jobs).toBe(settled.jobs + 4);
    expect(afterRace.transfers).toBe(settled.transfers + 1);
    expect(await holdsOf(org)).toHaveLength(2);

    const other = await postBatch(key, { jobs: batch.slice(1) }, { "idempotency-key": "batch-42" });
    expect(other.status).toBe(422);
    expect(await footprint(org)).toEqual(afterRace);
  });

  it("is served by the data plane, answers other methods with a JSON 405 and needs jobs:write", async () => {
    expect(matchDataPlane("POST", "/api/v1/jobs/batch")?.handler).toBe(POST);
    expect((await GET(new Request("http://localhost/api/v1/jobs/batch"))).status).toBe(405);
    const { org } = await customer("read-only");
    const { key } = await createApiKey({ orgId: org, name: "ro", scopes: ["jobs:read"] });
    expect((await postBatch(key, { jobs: items(1, "ro") })).status).toBe(403);
  });
});

describe("a batch's jobs after submission", () => {
  it("each settle, fail, cancel or expire on their own: the customer pays exactly the settled jobs' charges", async () => {
    const { org, key } = await customer("fates");
    const fates: Fate[] = ["settle", "settle-cheaper", "fail", "cancel", "expire", "settle", "cancel", "queued"];
    const batch = items(fates.length, "fates");
    const before = await orgBalances(org);
    const jobs = (await postBatch(key, { jobs: batch })).body.jobs;

    let charged = 0n;
    for (const [i, fate] of fates.entries()) {
      const job = jobs[i] as SubmittedJob;
      const prior = await orgBalances(org);
      const charge = await endAs(org, job, batch[i]?.input, fate);
      charged += charge;
      // Each job moves exactly its own price out of `held`, and takes exactly its charge.
      const moved = fate === "queued" ? 0n : BigInt(job.price);
      expect(await orgBalances(org), `${fate} job ${i}`).toEqual({ available: prior.available + moved - charge, held: prior.held - moved });
    }
    const stillQueued = BigInt((jobs[fates.indexOf("queued")] as SubmittedJob).price);
    expect(await orgBalances(org)).toEqual({ available: before.available - charged - stillQueued, held: before.held + stillQueued });
    expect(charged).toBeGreaterThan(0n);

    await cancelJob({ orgId: org, jobId: (jobs[fates.indexOf("queued")] as SubmittedJob).id });
    expect(await orgBalances(org)).toEqual({ available: before.available - charged, held: before.held });
    expect((await db.t.prisma.job.findMany({ where: { orgId: org }, select: { state: true } })).map((j) => j.state).sort()).toEqual([
      "canceled",
      "canceled",
      "canceled",
      "failed",
      "failed",
      "succeeded",
      "succeeded",
      "succeeded",
    ]);
    expect(await checkLedger(sql())).toMatchObject({ ok: true, unbalancedTransfers: [], mismatchedAccounts: [], totalBalance: 0n });
  });

  it("never leaves a customer with more than it paid in, and the ledger balances (property)", async () => {
    const fate = fc.constantFrom<Fate>("settle", "settle-cheaper", "fail", "cancel", "expire");
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fate, { minLength: 1, maxLength: 6 }), fc.integer({ min: 0, max: 1_000 }), async (fates, salt) => {
        run++;
        const funds = 50n * TOKEN;
        const { org, key } = await customer(`prop-${run}`, funds);
        const batch = items(fates.length, `p${salt}`);
        const res = await postBatch(key, { jobs: batch });
        expect(res.status).toBe(201);
        const jobs = res.body.jobs;
        expect(await holdsOf(org)).toEqual([{ jobId: null, amount: jobs.reduce((s, j) => s + BigInt(j.price), 0n) }]);
        let charged = 0n;
        for (const [i, f] of fates.entries()) charged += await endAs(org, jobs[i] as SubmittedJob, batch[i]?.input, f);
        const after = await orgBalances(org);
        expect(after).toEqual({ available: funds - charged, held: 0n });
        expect(after.available).toBeLessThanOrEqual(funds);
        const debt = await getBalances(sql(), [orgAccountCode(org, "debt")]);
        expect(debt.get(orgAccountCode(org, "debt")) ?? 0n).toBe(0n);
      }),
      { numRuns: 12 },
    );
    expect((await checkLedger(sql())).ok).toBe(true);
  });
});
