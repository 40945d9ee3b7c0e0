import { checkLedger, getBalances, orgAccountCode, postTransfer, SYSTEM_ACCOUNTS } from "@proofgrid/db/ledger";
import { sql, sqlTransaction } from "@proofgrid/db/sql-client";
import { hashJson } from "@proofgrid/por";
import { beforeAll, describe, expect, it } from "vitest";
import { type AppError, HTTP_STATUS } from "../../errors.ts";
import { ENCODER, createModel, jobRow, orgBalances, refusal, transfersOf } from "../../testing/job-fixtures.ts";
import { createOrg, setupServiceDatabase } from "../../testing/service-database.ts";
import { grantCredits } from "../billing/grant-credits.ts";
import { priceForCost } from "../billing/pricing.ts";
import { cancelJob } from "./cancel-job.ts";
import { submitJob, type TSubmitJobRequest } from "./submit-job.ts";

// submitJob against a real Postgres: a job is accepted with its payload and its price held
// in one transaction, or refused with the code the API answers and nothing written (no job,
// no payload, no ledger transfer, balances as they were).

const LIST_PRICE = 50_000n;
const QUEUE_LIMIT = 3;
const TOKENS = 1_000_000n;

const db = setupServiceDatabase({
  name: "submit",
  env: { PRICE_PER_CU_BASE_UNITS: String(LIST_PRICE), ORG_MAX_QUEUED_JOBS: String(QUEUE_LIMIT) },
});

let modelId: string;

beforeAll(async () => {
  modelId = await createModel(ENCODER);
});

/** A customer with plenty of credits; each test has its own, so queue limits do not interact. */
const fundedOrg = (slug: string) => createOrg(slug, "customer", 1_000n * TOKENS);

/** Everything a submit writes for the organisation: its jobs and payloads, the ledger's transfers, its balances. */
async function footprint(orgId: string) {
  return {
    jobs: await db.t.prisma.job.count({ where: { orgId } }),
    payloads: await db.t.prisma.jobPayload.count({ where: { job: { orgId } } }),
    transfers: await db.t.prisma.ledgerTransfer.count(),
    balances: await orgBalances(orgId),
  };
}

describe("submitJob", () => {
  it("queues a valid job with its payload and holds exactly its price", async () => {
    const org = await fundedOrg("valid");
    const before = await orgBalances(org);
    const input = { texts: ["hello world", "a, b"] };

    const job = await submitJob({ orgId: org, request: { model: ENCODER, input } });

    expect(job).toMatchObject({ state: "queued", attempt: 0, model: ENCODER, modelId, inputHash: hashJson(input), workerId: null });
    const price = BigInt(job.price);
    expect(price).toBeGreaterThan(0n);
    // Without a cap the hold is the cost at the list price.
    expect(price).toBe(priceForCost(job.costMilliCu, LIST_PRICE));
    expect(await jobRow(job.id)).toMatchObject({
      state: "queued",
      attempt: 0,
      nodeId: null,
      orgId: org,
      price,
      payload: { input, output: null },
    });
    expect(await orgBalances(org)).toEqual({ available: before.available - price, held: before.held + price });
    expect(await transfersOf(job.id)).toEqual(["hold"]);
    expect((await checkLedger(sql())).ok).toBe(true);
  });

  it("holds a capped job at the customer's cap, not the list price", async () => {
    const org = await fundedOrg("capped");
    const before = await orgBalances(org);
    const cap = 3n * LIST_PRICE;
    const job = await submitJob({ orgId: org, request: { model: ENCODER, input: { text: "capped" }, maxPricePerCu: cap } });
    const price = BigInt(job.price);
    expect(price).toBe(priceForCost(job.costMilliCu, cap));
    expect(price).toBeGreaterThan(priceForCost(job.costMilliCu, LIST_PRICE));
    expect(await orgBalances(org)).toEqual({ available: before.available - price, held: before.held + price });
  });

  it("returns the same job for a resubmission with the same idempotency key and holds its price once", async () => {
    const org = await fundedOrg("idem");
    const before = await orgBalances(org);
    const request: TSubmitJobRequest = { model: ENCODER, input: { text: "once" }, idempotencyKey: "order-42" };

    const first = await submitJob({ orgId: org, request });
    const again = await submitJob({ orgId: org, request });
    expect(again.id).toBe(first.id);
    // Retries racing each other (a client that timed out and resent) still make one job.
    const racing = await Promise.all([1, 2, 3].map(() => submitJob({ orgId: org, request: { ...request, idempotencyKey: "order-43" } })));
    expect(new Set(racing.map((j) => j.id)).size).toBe(1);
    expect(racing[0]?.id).not.toBe(first.id);

    const price = BigInt(first.price);
    expect(BigInt(racing[0]?.price ?? 0)).toBe(price);
    expect(await db.t.prisma.job.count({ where: { orgId: org } })).toBe(2);
    expect(await orgBalances(org)).toEqual({ available: before.available - 2n * price, held: before.held + 2n * price });
    expect(await transfersOf(first.id)).toEqual(["hold"]);
    expect(await transfersOf(racing[0]?.id ?? "")).toEqual(["hold"]);

    // The key names its job: another input under it is refused and changes nothing.
    const settled = await footprint(org);
    const err = await refusal(submitJob({ orgId: org, request: { ...request, input: { text: "something else" } } }));
    expect(err.code).toBe("UNPROCESSABLE");
    expect(await footprint(org)).toEqual(settled);
  });

  const bad: [string, TSubmitJobRequest, AppError["code"], RegExp][] = [
    ["an unknown model slug", { model: "gpt-5", input: { text: "hi" } }, "NOT_FOUND", /unknown model 'gpt-5'/],
    ["an unknown model id", { model: "ab".repeat(32), input: { text: "hi" } }, "NOT_FOUND", /unknown model/],
    ["an empty text", { model: ENCODER, input: { text: "" } }, "BAD_REQUEST", /text is empty/],
    ["a text that is not a string", { model: ENCODER, input: { texts: ["ok", 7] } }, "BAD_REQUEST", /texts\.1/],
    ["another model's input", { model: ENCODER, input: { image: "aGVsbG8=" } }, "BAD_REQUEST", /invalid input for encoder/],
    ["a text with a NUL byte", { model: ENCODER, input: { text: "a\u0000b" } }, "BAD_REQUEST", /U\+0000/],
    ["a text over 2,000 characters", { model: ENCODER, input: { text: "a".repeat(2_001) } }, "PAYLOAD_TOO_LARGE", /too large/],
    ["33 texts", { model: ENCODER, input: { texts: Array.from({ length: 33 }, () => "a") } }, "PAYLOAD_TOO_LARGE", /too many texts/],
  ];
  for (const [i, [what, request, code, message]] of bad.entries()) {
    it(`refuses ${what} with ${code} (HTTP ${HTTP_STATUS[code]}) and writes nothing`, async () => {
      const org = await fundedOrg(`bad-${i}`);
      const before = await footprint(org);
      const err = await refusal(submitJob({ orgId: org, request }));
      expect(err.code).toBe(code);
      expect(err.message).toMatch(message);
      expect(await footprint(org)).toEqual(before);
      expect(before.jobs).toBe(0);
    });
  }

  it("refuses a job the organisation cannot pay for with a 402 and holds nothing; exactly its price is enough", async () => {
    const input = { text: "what does this cost" };
    const probe = await submitJob({ orgId: await fundedOrg("probe"), request: { model: ENCODER, input } });
    const price = BigInt(probe.price);
    expect(price).toBeGreaterThan(1n);

    const poor = await createOrg("poor", "customer", price - 1n);
    const before = await footprint(poor);
    expect(before.balances).toEqual({ available: price - 1n, held: 0n });
    const err = await refusal(submitJob({ orgId: poor, request: { model: ENCODER, input } }));
    expect(err.code).toBe("INSUFFICIENT_CREDITS");
    expect(HTTP_STATUS[err.code]).toBe(402);
    expect(err.details).toEqual({ price: price.toString() });
    expect(await footprint(poor)).toEqual(before);

    // One base unit more and the same job fits exactly.
    await grantCredits({ orgId: poor, amount: 1n, idempotencyKey: "poor:top-up", memo: "test" });
    const job = await submitJob({ orgId: poor, request: { model: ENCODER, input } });
    expect(BigInt(job.price)).toBe(price);
    expect(await orgBalances(poor)).toEqual({ available: 0n, held: price });
  });

  it("refuses an organisation that never held credits (no ledger accounts yet) with a 402, not a 500", async () => {
    const fresh = (await db.t.prisma.organization.create({ data: { slug: "fresh", name: "fresh" }, select: { id: true } })).id;
    const transfers = await db.t.prisma.ledgerTransfer.count();
    const err = await refusal(submitJob({ orgId: fresh, request: { model: ENCODER, input: { text: "free lunch" } } }));
    expect(err.code).toBe("INSUFFICIENT_CREDITS");
    expect(await db.t.prisma.job.count({ where: { orgId: fresh } })).toBe(0);
    expect(await db.t.prisma.ledgerTransfer.count()).toBe(transfers);
    expect(await orgBalances(fresh)).toEqual({ available: 0n, held: 0n });
  });

  it("an organisation that owes tokens but has credits pays its debt from them first, then its job is queued", async () => {
    // The common submit is one guarded statement that writes nothing while a debt is open;
    // the way it then takes repays the debt and queues the job, one ledger throughout.
    const org = await fundedOrg("owes");
    const debt = orgAccountCode(org, "debt");
    // What a refunded card payment leaves when the credits were spent: the debt account below zero.
    await sqlTransaction((tx) =>
      postTransfer(tx, {
        idempotencyKey: `test-debt:${org}`,
        kind: "grant",
        legs: [
          { code: debt, amount: -5n * TOKENS },
          { code: SYSTEM_ACCOUNTS.treasury.code, amount: 5n * TOKENS },
        ],
      }),
    );
    const before = await orgBalances(org);
    const job = await submitJob({ orgId: org, request: { model: ENCODER, input: { text: "after the refund" } } });
    expect(job.state).toBe("queued");
    const price = BigInt(job.price);
    expect((await getBalances(sql(), [debt])).get(debt)).toBe(0n);
    expect(await orgBalances(org)).toEqual({ available: before.available - 5n * TOKENS - price, held: before.held + price });
    expect(await transfersOf(job.id)).toEqual(["hold"]);
    expect((await checkLedger(sql())).ok).toBe(true);
  });

  it(`refuses the organisation's job past ORG_MAX_QUEUED_JOBS (${QUEUE_LIMIT}) with a 429 and holds nothing`, async () => {
    const busy = await fundedOrg("busy");
    const other = await fundedOrg("other");
    const queued: string[] = [];
    for (let i = 0; i < QUEUE_LIMIT; i++) {
      queued.push((await submitJob({ orgId: busy, request: { model: ENCODER, input: { text: `job ${i}` } } })).id);
    }
    const full = await footprint(busy);
    const err = await refusal(submitJob({ orgId: busy, request: { model: ENCODER, input: { text: "one too many" } } }));
    expect(err.code).toBe("RATE_LIMITED");
    expect(HTTP_STATUS[err.code]).toBe(429);
    expect(err.details).toMatchObject({ reason: "org_queue_full", retryAfterSeconds: 5 });
    expect(await footprint(busy)).toEqual(full);

    // The limit is the organisation's own: another is not affected.
    await expect(submitJob({ orgId: other, request: { model: ENCODER, input: { text: "elsewhere" } } })).resolves.toMatchObject({
      state: "queued",
    });
    // A job leaving the queue makes room for the next.
    await cancelJob({ orgId: busy, jobId: queued[0] ?? "" });
    await expect(submitJob({ orgId: busy, request: { model: ENCODER, input: { text: "now it fits" } } })).resolves.toMatchObject({
      state: "queued",
    });
  });
});
