import { sql } from "@proofgrid/db/sql-client";
import { compareCustomOutputs } from "@proofgrid/models/custom/compare-custom-output";
import { checkCustomJobOutput } from "@proofgrid/models/custom/custom-job-io";
import type { TensorJson } from "@proofgrid/models/custom/tensor-check";
import { goodModel } from "@proofgrid/models/custom/testing/build-onnx";
import { beforeAll, describe, expect, it } from "vitest";
import { completeAs, createModel, createWorker, ENCODER, type TestWorker } from "../../../testing/job-fixtures.ts";
import { createOrg, setupServiceDatabase } from "../../../testing/service-database.ts";
import { Dispatcher } from "../../dispatch/dispatcher.ts";
import { submitJob } from "../../jobs/submit-job.ts";
import { registerModelBytes } from "../../models/register-model.ts";
import { leaseJob } from "../../nodes/lease-job.ts";
import { loadCustomModelRun } from "../../models/custom-model-run.ts";
import { sampleTraffic } from "../challenge-corpus.ts";
import { checkItems, loadCheck } from "../check-tasks.ts";
import { plantChecks } from "../por-loops.ts";
import { runLastResort } from "./last-resort.ts";

// The executor of last resort on a job of an uploaded model (issue 17): the platform re-runs
// it in its own thread from the file in its model store (hashed against the id before it
// runs) and compares with compareCustomOutputs. Every job is sampled and due at once here.
// Planted checks show a checker such a job with drifted tensors; traffic samples measure
// them in numbers only, for the challenges on uploaded models.

const db = setupServiceDatabase({
  name: "custom-last-resort",
  env: {
    POR_STAKE_REQUIRED: "0",
    POR_CHALLENGES: "0",
    POR_REEXEC_FLOOR: "1",
    POR_REEXEC_CAP: "1",
    POR_CHECK_DEADLINE_MS: "0",
    // Planting is certain when asked for.
    POR_PLANTED_RATE: "1",
    PRICE_PER_CU_BASE_UNITS: "50000",
  },
});

let owner: string;
let slug: string;
let worker: TestWorker;
// y = relu(x + b), b = [51, 0, 0, 0]
const input = { inputs: [{ name: "x", datatype: "FP32", shape: [1, 4], data: [1, -2, 3, -4] }] };
const tensor = (data: number[]) => ({ outputs: [{ name: "y", datatype: "FP32", shape: [1, 4], data }] });

beforeAll(async () => {
  const encoderId = await createModel(ENCODER);
  owner = await createOrg("owner", "customer", 1_000_000_000n);
  const provider = await createOrg("provider", "provider");
  const options = { name: "m", visibility: "private" as const, preprocessing: "raw" as const, postprocessing: "raw" as const, royalty: 0n };
  slug = (await registerModelBytes({ orgId: owner, keyId: null, bytes: goodModel(51), options })).model.slug;
  worker = await createWorker({ orgId: provider, models: [encoderId], maxConcurrency: 4, acceptsCustomModels: true });
}, 60_000);

async function runAndComplete(output: unknown): Promise<string> {
  const job = await submitJob({ orgId: owner, request: { model: slug, input } });
  await new Dispatcher().tick();
  const leased = await leaseJob({ node: worker.identity, waitMs: 0 });
  expect(leased?.jobId).toBe(job.id);
  await completeAs(worker, { id: job.id, attempt: leased?.attempt ?? 0 }, output);
  return job.id;
}

const checksOf = (jobId: string) =>
  db.t.prisma.check.findMany({ where: { jobId }, select: { kind: true, verdict: true, status: true }, orderBy: { createdAt: "asc" } });

describe("the executor of last resort on an uploaded model", () => {
  it("re-runs an honest result from its store and verifies it", async () => {
    const id = await runAndComplete(tensor([52, 0, 3, 0]));
    expect(await runLastResort()).toBe(1);
    expect(await checksOf(id)).toEqual([{ kind: "reexecution", verdict: "pass", status: "done" }]);
    expect((await db.t.prisma.job.findUniqueOrThrow({ where: { id }, select: { verification: true } })).verification).toBe("verified");
  }, 60_000);

  it("finds a wrong one (a well-formed tensor off by one) and opens a dispute", async () => {
    const id = await runAndComplete(tensor([52, 0, 3, 1]));
    await runLastResort();
    const checks = await checksOf(id);
    expect(checks[0]).toMatchObject({ kind: "reexecution", status: "done" });
    expect(checks[0]?.verdict).not.toBe("pass");
    expect(checks.map((c) => c.kind)).toContain("dispute");
  }, 60_000);

  it("plants checks on it: the checker is shown drifted tensors of the model's form, with what re-running it takes", async () => {
    // The first test left a verified customer job on the uploaded model, and re-execution checks to plant among.
    expect(await db.t.prisma.job.count({ where: { verification: "verified" } })).toBeGreaterThan(0);
    expect(await plantChecks({ sinceMs: 3_600_000 })).toBeGreaterThan(0);
    const planted = await db.t.prisma.check.findFirstOrThrow({ where: { kind: "planted" }, select: { id: true } });
    const row = await loadCheck(sql(), planted.id);
    if (!row) throw new Error("planted check not found");
    const task = await checkItems(sql(), row);
    // Indistinguishable from a sampled re-execution: the same kind, the input, the model's run record.
    expect(task.kind).toBe("reexecution");
    const item = task.items[0];
    expect(item?.custom?.modelId).toMatch(/^[0-9a-f]{64}$/);
    expect(item?.input).toEqual(input);
    // The wrong output is a well-formed output of this model, and a checker that computes rejects it.
    const run = await loadCustomModelRun(item?.custom?.modelId as string);
    expect(checkCustomJobOutput(run!.signature, item?.output)).toBeNull();
    const truth = tensor([52, 0, 3, 0]).outputs as TensorJson[];
    expect(compareCustomOutputs({ a: (item?.output as { outputs: unknown }).outputs, b: truth, deterministic: false })).toMatchObject({
      match: false,
      reason: "out_of_tolerance",
    });
  });

  it("samples its traffic in numbers only", async () => {
    expect(await sampleTraffic()).toBeGreaterThan(0);
    const samples = await db.t.prisma.trafficSample.findMany({ select: { sample: true } });
    expect(samples.length).toBeGreaterThan(0);
    for (const { sample } of samples)
      expect(sample).toMatchObject({ kind: "tensors", tensors: [{ name: "x", datatype: "FP32", shape: [1, 4], integral: true }] });
    expect(JSON.stringify(samples)).not.toContain('"data"');
  });
});
