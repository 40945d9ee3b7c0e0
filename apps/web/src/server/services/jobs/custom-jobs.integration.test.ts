import { goodModel } from "@proofgrid/models/custom/testing/build-onnx";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Dispatcher } from "../dispatch/dispatcher.ts";
import { registerModelBytes } from "../models/register-model.ts";
import { leaseJob } from "../nodes/lease-job.ts";
import { heartbeat } from "../nodes/heartbeat.ts";
import { completeAs, createModel, createWorker, ENCODER, jobRow, refusal, resetMarket } from "../../testing/job-fixtures.ts";
import { createOrg, setupServiceDatabase } from "../../testing/service-database.ts";
import { invalidateLiveNetwork } from "../market/live-network.ts";
import { quoteJob } from "../market/quote.ts";
import { submitBatch } from "./submit-batch.ts";
import { submitJob } from "./submit-job.ts";

// Jobs on an uploaded model (issue 17) against a real Postgres, the models validated and run
// in the real sandbox: which organisations may submit them, the input checked against the
// stored signature at submit and priced from the reference run, placement and claim only on
// workers that accept custom models, the lease carrying what running one takes, and the
// completion checking the output against the signature.

const db = setupServiceDatabase({
  name: "custom-jobs",
  env: { POR_STAKE_REQUIRED: "0", POR_CHALLENGES: "0", PRICE_PER_CU_BASE_UNITS: "50000" },
});

let owner: string;
let other: string;
let provider: string;
let encoderId: string;
let privateModel: { id: string; slug: string; baseCostMilliCu: number };
let publicModel: { id: string; slug: string };
const file = goodModel(31);
// y = relu(x + b), b = [31, 0, 0, 0]
const input = { inputs: [{ name: "x", datatype: "FP32", shape: [1, 4], data: [1, -2, 3, -4] }] };
const output = { outputs: [{ name: "y", datatype: "FP32", shape: [1, 4], data: [32, 0, 3, 0] }] };

beforeAll(async () => {
  encoderId = await createModel(ENCODER);
  owner = await createOrg("owner", "customer", 1_000_000_000n);
  other = await createOrg("other", "customer", 1_000_000_000n);
  provider = await createOrg("provider", "provider");
  const options = { visibility: "private" as const, preprocessing: "raw" as const, postprocessing: "raw" as const, royalty: 0n };
  const p = await registerModelBytes({ orgId: owner, keyId: null, bytes: file, options: { ...options, name: "mine" } });
  const row = await db.t.prisma.model.findUniqueOrThrow({ where: { id: p.model.id }, select: { baseCostMilliCu: true } });
  privateModel = { id: p.model.id, slug: p.model.slug, baseCostMilliCu: row.baseCostMilliCu };
  const q = await registerModelBytes({
    orgId: other,
    keyId: null,
    bytes: goodModel(32),
    options: { ...options, visibility: "public", name: "theirs, public" },
  });
  publicModel = { id: q.model.id, slug: q.model.slug };
}, 60_000);
beforeEach(resetMarket);

describe("submitting a job on an uploaded model", () => {
  it("resolves the owner's private model by slug or id, prices it from the reference run, and anyone's public one", async () => {
    for (const model of [privateModel.slug, privateModel.id]) {
      const job = await submitJob({ orgId: owner, request: { model, input } });
      expect(job.modelId).toBe(privateModel.id);
      expect(job.model).toBe(privateModel.slug);
      // Fixed shapes: every job is at the bounds, so it costs the reference run.
      expect(job.costMilliCu).toBe(privateModel.baseCostMilliCu);
    }
    const job = await submitJob({ orgId: owner, request: { model: publicModel.slug, input } });
    expect(job.modelId).toBe(publicModel.id);
  });

  it("answers another organisation's private model exactly like a missing one", async () => {
    const missing = await refusal(submitJob({ orgId: other, request: { model: "custom-000000000000", input } }));
    for (const model of [privateModel.slug, privateModel.id]) {
      const err = await refusal(submitJob({ orgId: other, request: { model, input } }));
      expect(err.code).toBe("NOT_FOUND");
      expect(err.message.replace(model, "M")).toBe(missing.message.replace("custom-000000000000", "M"));
    }
    expect(await db.t.prisma.job.count({ where: { orgId: other } })).toBe(0);
  });

  it("takes uploaded models in a batch too, under the same tenancy", async () => {
    const batch = await submitBatch({
      orgId: owner,
      request: {
        jobs: [
          { model: privateModel.slug, input },
          { model: ENCODER, input: { text: "hi" } },
        ],
      },
    });
    expect(batch.jobs.map((j) => j.model)).toEqual([privateModel.slug, ENCODER]);
    const err = await refusal(submitBatch({ orgId: other, request: { jobs: [{ model: privateModel.slug, input }] } }));
    // A batch item naming an unknown model is a 400 (the route exists), as for a missing model.
    expect(err.code).toBe("BAD_REQUEST");
    expect(err.message).toMatch(/unknown model/);
  });

  it("refuses input that does not fit the signature with a 400 naming the tensor, and stores nothing", async () => {
    const before = await db.t.prisma.job.count();
    const cases: [unknown, RegExp][] = [
      [{ inputs: [{ name: "x", datatype: "FP32", shape: [1, 3], data: [1, 2, 3] }] }, /'x'.*shape \[1, 3\]/],
      [{ inputs: [{ name: "x", datatype: "INT32", shape: [1, 4], data: [1, 2, 3, 4] }] }, /'x' has datatype INT32.*FP32/],
      [{ inputs: [{ name: "z", datatype: "FP32", shape: [1, 4], data: [1, 2, 3, 4] }] }, /'z' is not an input/],
      [{ inputs: [] }, /'x' is missing/],
      [{ text: "hello" }, /inputs must be an array/],
    ];
    for (const [bad, reason] of cases) {
      const err = await refusal(submitJob({ orgId: owner, request: { model: privateModel.slug, input: bad } }));
      expect(err.code).toBe("BAD_REQUEST");
      expect(err.message).toMatch(reason);
      expect(err.message).toContain(privateModel.slug);
    }
    expect(await db.t.prisma.job.count()).toBe(before);
  });
});

describe("placing, leasing and completing a job on an uploaded model", () => {
  it("goes only to a worker that accepts custom models; its lease carries the signature; a wrong output is refused", async () => {
    const plain = await createWorker({ orgId: provider, models: [encoderId], maxConcurrency: 4 });
    const accepting = await createWorker({ orgId: provider, models: [encoderId], maxConcurrency: 1, acceptsCustomModels: true });
    const job = await submitJob({ orgId: owner, request: { model: privateModel.slug, input } });
    // The plain worker has more free slots and would win on them: it is not even considered.
    expect((await new Dispatcher().tick()).placed).toBe(1);
    expect((await jobRow(job.id)).nodeId).toBe(accepting.identity.id);
    expect(await leaseJob({ node: plain.identity, waitMs: 0 })).toBeNull();

    const leased = await leaseJob({ node: accepting.identity, waitMs: 0 });
    expect(leased?.jobId).toBe(job.id);
    expect(leased?.modelSlug).toBe(privateModel.slug);
    expect(leased?.custom).toEqual({
      modelId: privateModel.id,
      signature: {
        inputs: [{ name: "x", elemType: "float32", shape: [1, 4], dynamic: {} }],
        outputs: [{ name: "y", elemType: "float32" }],
      },
      fileBytes: file.byteLength,
      deterministic: true,
    });
    const attempt = { id: job.id, attempt: leased?.attempt ?? 0 };

    const wrongs: [unknown, RegExp][] = [
      [{ outputs: [{ name: "y", datatype: "FP32", shape: [1, 4], data: [1, 2, 3] }] }, /not 4 elements/],
      [{ outputs: [{ name: "y", datatype: "INT64", shape: [1, 4], data: [1, 2, 3, 4] }] }, /datatype INT64/],
      [{ outputs: [{ name: "z", datatype: "FP32", shape: [1, 4], data: [1, 2, 3, 4] }] }, /'z'/],
      [{ dim: 384, vectors: [] }, /no outputs list/],
    ];
    for (const [wrong, reason] of wrongs) {
      const err = await refusal(completeAs(accepting, attempt, wrong));
      expect(err.code).toBe("BAD_REQUEST");
      expect(err.message).toMatch(reason);
    }
    const done = await completeAs(accepting, attempt, output);
    expect(done.status).toBe("accepted");
    expect((await jobRow(job.id)).state).toBe("succeeded");
  });

  it("a job offered to no one while no worker accepts them; a heartbeat opting in makes the next round place it", async () => {
    const w = await createWorker({ orgId: provider, models: [encoderId], maxConcurrency: 2 });
    const job = await submitJob({ orgId: owner, request: { model: privateModel.id, input } });
    expect((await new Dispatcher().tick()).placed).toBe(0);
    expect((await jobRow(job.id)).state).toBe("queued");

    await heartbeat({ node: w.identity, request: { leases: [], acceptsCustomModels: true } });
    const stored = await db.t.prisma.node.findUniqueOrThrow({ where: { id: w.identity.id }, select: { acceptsCustomModels: true } });
    expect(stored.acceptsCustomModels).toBe(true);
    expect((await new Dispatcher().tick()).placed).toBe(1);
    expect((await jobRow(job.id)).nodeId).toBe(w.identity.id);
    const leased = await leaseJob({ node: w.identity, waitMs: 0 });
    expect(leased?.jobId).toBe(job.id);

    // Opting out: the next offer of such a job is not claimed.
    await heartbeat({ node: w.identity, request: { leases: [], acceptsCustomModels: false } });
    const next = await submitJob({ orgId: owner, request: { model: privateModel.id, input } });
    expect((await new Dispatcher().tick()).placed).toBe(0);
    expect((await jobRow(next.id)).state).toBe("queued");
  });
});

describe("quoting a job on an uploaded model", () => {
  it("prices the input as a submit would and places it only on a worker that accepts custom models; another organisation's private model is unknown", async () => {
    await createWorker({ orgId: provider, models: [encoderId], maxConcurrency: 4 });
    invalidateLiveNetwork();
    const none = await quoteJob({ orgId: owner, request: { model: privateModel.slug, input } });
    expect(none.costMilliCu).toBe(privateModel.baseCostMilliCu);
    expect(none.available).toBe(false);

    await createWorker({ orgId: provider, models: [encoderId], maxConcurrency: 1, acceptsCustomModels: true });
    invalidateLiveNetwork();
    const quote = await quoteJob({ orgId: owner, request: { model: privateModel.slug, input } });
    expect(quote).toMatchObject({ available: true, via: "indexer", modelId: privateModel.id });

    const err = await refusal(quoteJob({ orgId: other, request: { model: privateModel.slug, input } }));
    expect(err.code).toBe("BAD_REQUEST");
    expect(err.message).toMatch(/unknown model/);
  });
});
