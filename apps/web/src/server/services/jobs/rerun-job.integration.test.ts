import { randomUUID } from "node:crypto";
import { checkLedger, getBalances, orgAccountCode, postTransfer, SYSTEM_ACCOUNTS } from "@proofgrid/db/ledger";
import { sql, sqlTransaction } from "@proofgrid/db/sql-client";
import { hashJson } from "@proofgrid/por";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { completeAs, createWorker, jobRow, type TestWorker } from "../../testing/job-fixtures.ts";
import { createOrg, setupServiceDatabase } from "../../testing/service-database.ts";
import { priceForCost } from "../billing/pricing.ts";
import { failJob } from "../nodes/fail-job.ts";
import { cancelJob } from "./cancel-job.ts";
import { rerunJob } from "./rerun-job.ts";

// The re-run of a job proven wrong, against a real Postgres and the real settlement. It is
// paid like any job (the refund already gave the customer its money back; a free re-run let a
// colluding pair draw the price twice, issue 12 finding 6): whatever the caps, the asks and
// the re-run's fate, the customer ends with the refunded balance less exactly what the re-run
// was charged, never more, and the emission pool pays nothing.

let customer: string;
let worker: TestWorker;
const MODEL = "cd".repeat(32);
const LIST_PRICE = 50_000n;
const TOKENS = 1_000_000n;

const db = setupServiceDatabase({ name: "rerun", env: { PRICE_PER_CU_BASE_UNITS: String(LIST_PRICE) } });

beforeAll(async () => {
  // No built-in slug: completeJob holds a result to no model's output schema, so any will do.
  await db.t.prisma.model.create({
    data: { id: MODEL, slug: "test-model", name: "test", kind: "tensor", description: "test", signature: {}, baseCostMilliCu: 1 },
  });
  customer = await createOrg("customer", "customer", 1_000_000n * TOKENS);
  worker = await createWorker({ orgId: await createOrg("provider", "provider"), models: [MODEL] });
});

const available = async () =>
  (await getBalances(sql(), [orgAccountCode(customer, "available")])).get(orgAccountCode(customer, "available")) ?? 0n;
const emission = async () => (await getBalances(sql(), [SYSTEM_ACCOUNTS.emissionPool.code])).get(SYSTEM_ACCOUNTS.emissionPool.code) ?? 0n;

/** What submitJob stores for a job of this cost and cap: the job, its payload and the hold at the cap. */
async function submitRaw(costMilliCu: number, cap: bigint | null): Promise<string> {
  const id = randomUUID();
  const price = priceForCost(costMilliCu, cap ?? LIST_PRICE);
  await sqlTransaction(async (tx) => {
    await tx.$executeRaw`
      INSERT INTO jobs (id, org_id, model_id, cost_milli_cu, price, input_hash, input_bytes, max_price_per_cu)
      VALUES (${id}::uuid, ${customer}::uuid, ${MODEL}, ${costMilliCu}, ${price}, ${hashJson({ x: id })}, 10, ${cap})`;
    await tx.$executeRaw`INSERT INTO job_payloads (job_id, input) VALUES (${id}::uuid, ${JSON.stringify({ x: id })}::jsonb)`;
    await postTransfer(tx, {
      idempotencyKey: `hold:${id}`,
      kind: "hold",
      jobId: id,
      legs: [
        { code: orgAccountCode(customer, "available"), amount: -price },
        { code: orgAccountCode(customer, "held"), amount: price },
      ],
    });
  });
  return id;
}

/** The dispatcher's assignment and the worker's lease: running on the worker at `ask` (0 on a reserved worker). */
async function lease(jobId: string, ask: bigint): Promise<void> {
  await sql().$executeRaw`
    UPDATE jobs SET state = 'running', node_id = ${worker.identity.id}::uuid, attempt = attempt + 1, unit_price = ${ask},
      lease_expires_at = now() + interval '1 minute', started_at = now()
    WHERE id = ${jobId}::uuid`;
}

/** The worker's signed completion of the job's current attempt through the real service. */
async function complete(jobId: string): Promise<void> {
  await completeAs(worker, { id: jobId, attempt: (await jobRow(jobId)).attempt }, { y: 1 });
}

/** What a proven fraud does to the customer's side: the charge refunded, the job marked. */
async function refund(jobId: string): Promise<void> {
  const rows = await sql().$queryRaw<{ price: bigint }[]>`SELECT price FROM jobs WHERE id = ${jobId}::uuid`;
  const charged = BigInt(rows[0]?.price ?? 0n);
  await sqlTransaction(async (tx) => {
    if (charged > 0n) {
      await postTransfer(tx, {
        idempotencyKey: `test-refund:${jobId}`,
        kind: "slash",
        jobId,
        legs: [
          { code: SYSTEM_ACCOUNTS.emissionPool.code, amount: -charged },
          { code: orgAccountCode(customer, "available"), amount: charged },
        ],
      });
    }
    await tx.$executeRaw`UPDATE jobs SET verification = 'refunded' WHERE id = ${jobId}::uuid`;
  });
}

const arbCap = fc.option(fc.bigInt({ min: 1n, max: 200_000n }), { nil: null });

describe("re-runs of refunded jobs", () => {
  it("carry the cap, are charged what they cost, and never leave the customer richer (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2_000_000 }),
        arbCap,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.boolean(),
        fc.constantFrom("succeeded", "canceled", "failed"),
        async (costMilliCu, cap, ask1Share, ask2Share, reserved, fate) => {
          const ceiling = cap ?? LIST_PRICE;
          // Asks the indexer would accept: 1 to the cap (or the list price).
          const askFor = (share: number) => 1n + BigInt(Math.floor(Number(ceiling - 1n) * share));
          const before = await available();
          const original = await submitRaw(costMilliCu, cap);
          await lease(original, reserved ? 0n : askFor(ask1Share));
          await complete(original);
          await refund(original);
          expect(await available()).toBe(before);

          const poolBefore = await emission();
          const rerun = await rerunJob({ orgId: customer, jobId: original });
          expect(rerun.maxPricePerCu).toBe(cap === null ? null : cap.toString());
          expect(rerun.rerunOf).toBe(original);
          expect(BigInt(rerun.price)).toBe(priceForCost(costMilliCu, ceiling));
          const ask2 = askFor(ask2Share);
          if (fate === "canceled") {
            await cancelJob({ orgId: customer, jobId: rerun.id });
          } else {
            await lease(rerun.id, ask2);
            if (fate === "succeeded") await complete(rerun.id);
            else
              await failJob({
                node: worker.identity,
                request: { jobId: rerun.id, attempt: 1, kind: "error", retryable: false, error: "boom" },
              });
          }
          // The customer paid exactly the re-run's charge (at most its hold); the pool paid nothing.
          const charged =
            fate === "succeeded"
              ? priceForCost(costMilliCu, ask2) < BigInt(rerun.price)
                ? priceForCost(costMilliCu, ask2)
                : BigInt(rerun.price)
              : 0n;
          expect(await available()).toBe(before - charged);
          expect(await emission()).toBe(poolBefore);
        },
      ),
      { numRuns: 40 },
    );
    const ledger = await checkLedger(sql());
    expect(ledger.ok).toBe(true);
  });

  it("re-runs a refunded job that ran on a reserved worker (price 0) instead of failing with a 500", async () => {
    const before = await available();
    const original = await submitRaw(40_000, null);
    await lease(original, 0n); // a reserved worker: no per-job charge
    await complete(original);
    const charged = await sql().$queryRaw<{ price: bigint }[]>`SELECT price FROM jobs WHERE id = ${original}::uuid`;
    expect(BigInt(charged[0]?.price ?? -1n)).toBe(0n);
    await refund(original);
    const rerun = await rerunJob({ orgId: customer, jobId: original });
    expect(rerun).toMatchObject({ state: "queued", rerunOf: original, price: priceForCost(40_000, LIST_PRICE).toString() });
    // Asking again returns the same re-run.
    expect((await rerunJob({ orgId: customer, jobId: original })).id).toBe(rerun.id);
    // It may land on a worker that is not reserved: the customer pays that worker's ask.
    await lease(rerun.id, 30_000n);
    await complete(rerun.id);
    expect(await available()).toBe(before - priceForCost(40_000, 30_000n));
    expect((await checkLedger(sql())).ok).toBe(true);
  });
});
