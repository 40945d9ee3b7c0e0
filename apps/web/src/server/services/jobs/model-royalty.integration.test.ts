import { getBalances, orgAccountCode, SYSTEM_ACCOUNTS } from "@proofgrid/db/ledger";
import { sql } from "@proofgrid/db/sql-client";
import { goodModel } from "@proofgrid/models/custom/testing/build-onnx";
import { splitReward } from "@proofgrid/por";
import fc from "fast-check";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Dispatcher } from "../dispatch/dispatcher.ts";
import { registerModelBytes } from "../models/register-model.ts";
import { updateCustomModel } from "../models/update-model.ts";
import { getModel, listModels } from "../models/list-models.ts";
import { leaseJob } from "../nodes/lease-job.ts";
import { nodeHeldCode } from "../verification/exposure.ts";
import { completeAs, createWorker, jobRow, refusal, resetMarket, type TestWorker } from "../../testing/job-fixtures.ts";
import { createOrg, setupServiceDatabase } from "../../testing/service-database.ts";
import { cancelJob } from "./cancel-job.ts";
import { submitBatch } from "./submit-batch.ts";
import { submitJob } from "./submit-job.ts";

// Royalties on uploaded models (issue 17, item 6), against a real Postgres with the models
// validated in the real sandbox: the owner of a public model sets a per-job royalty; a job of
// another organisation holds it with the compute and the settlement pays it to the owner in
// the same transfer, whole; the owner's own jobs pay none; a customer can cap it; a job keeps
// the royalty it was submitted with; and no set of accounts ends with more than it paid in.

const db = setupServiceDatabase({
  name: "model-royalty",
  env: { POR_STAKE_REQUIRED: "0", POR_CHALLENGES: "0", PRICE_PER_CU_BASE_UNITS: "50000", POR_SAMPLE_RATE: "0" },
});

let owner: string;
let customer: string;
let provider: string;
let model: { id: string; slug: string };
const input = { inputs: [{ name: "x", datatype: "FP32", shape: [1, 4], data: [1, -2, 3, -4] }] };
// y = relu(x + b), b = [41, 0, 0, 0]
const output = { outputs: [{ name: "y", datatype: "FP32", shape: [1, 4], data: [42, 0, 3, 0] }] };
const options = { preprocessing: "raw" as const, postprocessing: "raw" as const };

beforeAll(async () => {
  owner = await createOrg("royalty-owner", "customer", 0n);
  customer = await createOrg("royalty-customer", "customer", 1_000_000_000_000n);
  provider = await createOrg("royalty-provider", "provider");
  const r = await registerModelBytes({
    orgId: owner,
    keyId: null,
    bytes: goodModel(41),
    options: { ...options, name: "relu-41", visibility: "public", royalty: 2_000n },
  });
  model = { id: r.model.id, slug: r.model.slug };
}, 60_000);
beforeEach(resetMarket);

const balance = async (code: string) => (await getBalances(sql(), [code])).get(code) ?? 0n;
const ownerEarnings = () => balance(orgAccountCode(owner, "earnings"));
const spendable = async (orgId: string) =>
  (await balance(orgAccountCode(orgId, "available"))) + (await balance(orgAccountCode(orgId, "held")));

/** Places, leases and completes the job on `worker`, honestly. */
async function runOn(worker: TestWorker, jobId: string) {
  await new Dispatcher().tick();
  const leased = await leaseJob({ node: worker.identity, waitMs: 0 });
  expect(leased?.jobId).toBe(jobId);
  return completeAs(worker, { id: jobId, attempt: leased?.attempt ?? 0 }, output);
}

describe("a public model's royalty", () => {
  it("is listed with the owner's name, held with the compute, and paid to the owner whole in the settlement's transfer", async () => {
    const seen = await getModel({ orgId: customer, ref: model.slug });
    expect(seen).toMatchObject({ custom: { royalty: "2000", owner: "royalty-owner", ownedByYou: false } });
    expect((await listModels()).find((m) => m.id === model.id)).toMatchObject({ custom: { royalty: "2000" } });

    const worker = await createWorker({ orgId: provider, models: [], acceptsCustomModels: true });
    const before = {
      owner: await ownerEarnings(),
      customer: await spendable(customer),
      node: await balance(nodeHeldCode(worker.identity.id)),
    };
    // Without maxRoyalty a royalty is not charged: the job is refused, saying how to accept it.
    const unasked = await refusal(submitJob({ orgId: customer, request: { model: model.slug, input } }));
    expect(unasked.code).toBe("UNPROCESSABLE");
    expect(unasked.message).toMatch(/asks a royalty of 0\.002 tokens per job: to accept it, send maxRoyalty of at least 2000/);
    const job = await submitJob({ orgId: customer, request: { model: model.slug, input, maxRoyalty: 2_000n } });
    const compute = BigInt(job.price) - 2_000n;
    expect(job.royalty).toBe("2000");
    expect(compute).toBeGreaterThan(0n);

    expect((await runOn(worker, job.id)).status).toBe("accepted");
    const split = splitReward(compute);
    expect(await ownerEarnings()).toBe(before.owner + 2_000n);
    expect(await balance(nodeHeldCode(worker.identity.id))).toBe(before.node + split.worker);
    expect(await spendable(customer)).toBe(before.customer - compute - 2_000n);
    const transfer = await db.t.prisma.ledgerTransfer.findFirstOrThrow({
      where: { idempotencyKey: `settle:${job.id}` },
      select: { entries: { select: { amount: true, account: { select: { code: true } } } } },
    });
    expect(transfer.entries.find((e) => e.account.code === orgAccountCode(owner, "earnings"))?.amount).toBe(2_000n);
    // What a fraud verdict would refund, and what the worker's stake is exposed to, is the
    // compute: the royalty is the owner's for the model's use, and no colluding customer and
    // owner can have it back from a cheater's pot while the owner keeps it.
    const held = await db.t.prisma.heldEarning.findUniqueOrThrow({ where: { jobId: job.id }, select: { charge: true } });
    expect(held.charge).toBe(compute);
  });

  it("is not paid on the owner's own jobs", async () => {
    const funded = await createOrg("royalty-owner-2", "customer", 1_000_000_000n);
    const mine = await registerModelBytes({
      orgId: funded,
      keyId: null,
      bytes: goodModel(43),
      options: { ...options, name: "mine", visibility: "public", royalty: 5_000n },
    });
    const job = await submitJob({ orgId: funded, request: { model: mine.model.slug, input } });
    expect(job.royalty).toBe("0");
    const other = await submitJob({ orgId: customer, request: { model: mine.model.slug, input, maxRoyalty: 5_000n } });
    expect(BigInt(other.price) - BigInt(job.price)).toBe(5_000n);
  });

  it("above the customer's maxRoyalty refuses the job with a 422 and holds nothing; at it, the job goes in", async () => {
    const before = await getBalances(sql(), [orgAccountCode(customer, "available"), orgAccountCode(customer, "held")]);
    const err = await refusal(submitJob({ orgId: customer, request: { model: model.slug, input, maxRoyalty: 1_999n } }));
    expect(err.code).toBe("UNPROCESSABLE");
    expect(err.message).toMatch(/royalty of 0\.002 tokens per job, more than your maxRoyalty/);
    const batchErr = await refusal(submitBatch({ orgId: customer, request: { jobs: [{ model: model.slug, input, maxRoyalty: 0n }] } }));
    expect(batchErr.message).toMatch(/^jobs\[0\]: .*maxRoyalty/);
    expect(await getBalances(sql(), [...before.keys()])).toEqual(before);
    const job = await submitJob({ orgId: customer, request: { model: model.slug, input, maxRoyalty: 2_000n } });
    expect(job.royalty).toBe("2000");
  });

  it("changed by its owner applies to jobs submitted afterwards; a queued job settles at the royalty it was held with", async () => {
    const worker = await createWorker({ orgId: provider, models: [], acceptsCustomModels: true });
    const early = await submitJob({ orgId: customer, request: { model: model.slug, input, maxRoyalty: 2_000n } });
    const updated = await updateCustomModel({ orgId: owner, id: model.id, request: { royalty: 7_000n } });
    expect(updated.custom.royalty).toBe("7000");
    const late = await submitBatch({ orgId: customer, request: { jobs: [{ model: model.slug, input, maxRoyalty: 7_000n }] } });
    expect(late.jobs[0]?.royalty).toBe("7000");

    const before = await ownerEarnings();
    expect((await runOn(worker, early.id)).status).toBe("accepted");
    expect(await ownerEarnings()).toBe(before + 2_000n);
    // Another organisation cannot change it, and cannot learn more than a missing model.
    expect((await refusal(updateCustomModel({ orgId: customer, id: model.id, request: { royalty: 0n } }))).code).toBe("NOT_FOUND");
    await updateCustomModel({ orgId: owner, id: model.id, request: { royalty: 2_000n } });
  });

  it("on identical bytes published twice is the lowest one: a copy made public later with a higher royalty takes nothing", async () => {
    const bytes = goodModel(47);
    const first = await createOrg("royalty-first", "customer");
    const squatter = await createOrg("royalty-squatter", "customer");
    // The squatter uploads first, privately, with a high royalty; the author publishes at 1000.
    const s = await registerModelBytes({
      orgId: squatter,
      keyId: null,
      bytes,
      options: { ...options, name: "copy", visibility: "private", royalty: 900_000n },
    });
    await registerModelBytes({
      orgId: first,
      keyId: null,
      bytes,
      options: { ...options, name: "original", visibility: "public", royalty: 1_000n },
    });
    await updateCustomModel({ orgId: squatter, id: s.model.id, request: { visibility: "public" } });
    const job = await submitJob({ orgId: customer, request: { model: s.model.id, input, maxRoyalty: 1_000_000n } });
    expect(job.royalty).toBe("1000");
    expect((await jobRow(job.id)).orgId).toBe(customer);
    const row = await db.t.prisma.job.findUniqueOrThrow({ where: { id: job.id }, select: { royaltyOrgId: true } });
    expect(row.royaltyOrgId).toBe(first);
    expect(await getModel({ orgId: customer, ref: s.model.id })).toMatchObject({ name: "original", custom: { royalty: "1000" } });
    // Made private again by both, it is gone for others: the 404 of a missing model, nothing held.
    await updateCustomModel({ orgId: squatter, id: s.model.id, request: { visibility: "private" } });
    await updateCustomModel({ orgId: first, id: s.model.id, request: { visibility: "private" } });
    const gone = await refusal(submitJob({ orgId: customer, request: { model: s.model.id, input, maxRoyalty: 1_000_000n } }));
    expect(gone.code).toBe("NOT_FOUND");
  });

  it("is not paid for a job that does not succeed: a canceled job's hold goes back whole", async () => {
    const before = { owner: await ownerEarnings(), customer: await spendable(customer) };
    const job = await submitJob({ orgId: customer, request: { model: model.slug, input, maxRoyalty: 2_000n } });
    await cancelJob({ orgId: customer, jobId: job.id });
    expect((await jobRow(job.id)).state).toBe("canceled");
    expect(await ownerEarnings()).toBe(before.owner);
    expect(await spendable(customer)).toBe(before.customer);
  });

  it("property: whatever the royalty, the worker's ask and the outcome, the customer pays exactly what the others receive, and the owner only its royalty", async () => {
    const system = [SYSTEM_ACCOUNTS.checkerPool.code, SYSTEM_ACCOUNTS.protocolFee.code];
    await fc.assert(
      fc.asyncProperty(
        fc.bigInt({ min: 0n, max: 50_000_000n }),
        fc.option(fc.bigInt({ min: 1n, max: 60_000n }), { nil: null }),
        fc.boolean(),
        async (royalty, ask, succeed) => {
          await resetMarket();
          await updateCustomModel({ orgId: owner, id: model.id, request: { royalty } });
          const worker = await createWorker({ orgId: provider, models: [], acceptsCustomModels: true });
          if (ask !== null) await db.t.prisma.node.update({ where: { id: worker.identity.id }, data: { askPricePerCu: ask } });
          const codes = [
            orgAccountCode(customer, "available"),
            orgAccountCode(customer, "held"),
            orgAccountCode(owner, "earnings"),
            nodeHeldCode(worker.identity.id),
            ...system,
          ];
          const before = await getBalances(sql(), codes);
          const job = await submitJob({ orgId: customer, request: { model: model.slug, input, maxRoyalty: royalty } });
          expect(job.royalty).toBe(royalty.toString());
          await new Dispatcher().tick();
          const placed = await jobRow(job.id);
          if (succeed && placed.nodeId === worker.identity.id) {
            const leased = await leaseJob({ node: worker.identity, waitMs: 0 });
            expect((await completeAs(worker, { id: job.id, attempt: leased?.attempt ?? 0 }, output)).status).toBe("accepted");
          } else {
            await cancelJob({ orgId: customer, jobId: job.id });
          }
          const after = await getBalances(sql(), codes);
          const delta = (c: string) => (after.get(c) ?? 0n) - (before.get(c) ?? 0n);
          const paid = -(delta(codes[0] as string) + delta(codes[1] as string));
          const received = codes.slice(2).reduce((s, c) => s + delta(c), 0n);
          // Nothing is made or lost: what the customer paid is exactly what the others got.
          expect(received).toBe(paid);
          const final = await jobRow(job.id);
          if (final.state === "succeeded") {
            expect(delta(orgAccountCode(owner, "earnings"))).toBe(royalty);
            // The customer never pays more than it was held, nor the owner more than its royalty.
            expect(paid).toBe(final.price);
            expect(paid).toBeLessThanOrEqual(BigInt(job.price));
          } else {
            expect(paid).toBe(0n);
            expect(delta(orgAccountCode(owner, "earnings"))).toBe(0n);
          }
        },
      ),
      { numRuns: 12 },
    );
    await updateCustomModel({ orgId: owner, id: model.id, request: { royalty: 2_000n } });
  }, 120_000);
});
