import { drawRecentCustomerModel } from "@proofgrid/db/challenges/recent-customer-model";
import { updateAcceptsCustomModels } from "@proofgrid/db/nodes/node-load";
import { sql } from "@proofgrid/db/sql-client";
import { compareModelOutputs } from "@proofgrid/models/custom/compare-model-outputs";
import { type CustomPipeline, createCustomPipeline } from "@proofgrid/models/custom/custom-pipeline";
import { affineModel } from "@proofgrid/models/custom/testing/build-onnx";
import { type CheckTaskItem, type CustomModelRun, hashJson, signCheckReport } from "@proofgrid/por";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { completeAs, createWorker, type TestWorker } from "../../testing/job-fixtures.ts";
import { createOrg, setupServiceDatabase } from "../../testing/service-database.ts";
import { Dispatcher } from "../dispatch/dispatcher.ts";
import { listJobs } from "../jobs/list-jobs.ts";
import { submitJob } from "../jobs/submit-job.ts";
import { loadCustomModelRun } from "../models/custom-model-run.ts";
import { deleteCustomModel } from "../models/delete-model.ts";
import { listModels } from "../models/list-models.ts";
import { modelStore } from "../models/model-store.ts";
import { registerModelBytes } from "../models/register-model.ts";
import { leaseJob } from "../nodes/lease-job.ts";
import { sampleTraffic } from "./challenge-corpus.ts";
import { openChallengeCheck } from "./challenge-jobs.ts";
import { leaseCheck } from "./check-tasks.ts";
import { runLastResort } from "./last-resort/last-resort.ts";
import { advanceChallenges } from "./por-loops.ts";
import { PROTOCOL_ORG_ID } from "./protocol-org.ts";
import { reportCheck } from "./report-check.ts";
import { createNode, encoderId, identityOf, type TestNode } from "./testing/market-harness.ts";

// Challenges on uploaded models (issue 17, item 5): a canary planted on a worker's custom
// model is shaped like that model's recent customer jobs (traffic_samples: tensor names,
// datatypes, shapes and value statistics, no data), priced and gated like a customer's job,
// and verified as catalog challenges are: a checker re-executes it with the real model, and a
// mismatch goes to a third executor (here the platform's executor of last resort, as no
// other independent checker is online) whose majority proves the cheat. Everything real:
// onnxruntime runs the model for the honest worker, the checker and the platform alike.

const db = setupServiceDatabase({
  name: "custom-challenges",
  env: {
    POR_STAKE_REQUIRED: "0",
    // Sampled re-executions of the customer jobs are not what this file is about: nearly never.
    POR_REEXEC_FLOOR: "0.000001",
    POR_REEXEC_CAP: "0.000001",
    POR_PLANTED_RATE: "0",
    POR_LAST_RESORT: "1",
    PRICE_PER_CU_BASE_UNITS: "50000",
  },
});

let owner: string;
let other: string;
let modelId: string;
let slug: string;
let encoder: string;
let honest: TestWorker;
let cheat: TestWorker;
let checker: TestNode;
let run: CustomModelRun;
let pipeline: CustomPipeline;

/** The customers' traffic: batches of 5 rows of 3 pixel values (integers 0–255, a few zeros), x float [n ≤ 16, 3]. */
function customerInput(k: number) {
  const data = Array.from({ length: 15 }, (_, i) => (i % 7 === k % 7 ? 0 : (37 * i + 11 * k) % 256));
  return { inputs: [{ name: "x", datatype: "FP32", shape: [5, 3], data }] };
}

const dispatcher = new Dispatcher();

/** The worker leases what it was assigned and completes it: the model's real output, or (a cheat) the cached result of an earlier job of the same shape, well formed and wrong. */
async function work(w: TestWorker, lie = false): Promise<{ jobId: string; input: unknown } | null> {
  await dispatcher.tick();
  const leased = await leaseJob({ node: w.identity, waitMs: 0 });
  if (!leased) return null;
  const out = await pipeline.run(lie ? customerInput(0) : (leased.input as { inputs: unknown }));
  await completeAs(w, { id: leased.jobId, attempt: leased.attempt }, out);
  return { jobId: leased.jobId, input: leased.input };
}

/** The checker leases the next check, re-runs every item with the real model, and reports what por's comparison says. */
async function checkHonestly(): Promise<{ checkId: string; items: CheckTaskItem[] } | null> {
  const identity = await identityOf(checker.identity.id);
  const task = await leaseCheck({ node: identity, waitMs: 0 });
  if (!task) return null;
  const items = [];
  for (const item of task.items) {
    const mine = await pipeline.run(item.input as { inputs: unknown });
    const cmp = compareModelOutputs({ slug: item.modelSlug, a: mine, b: item.output, custom: item.custom });
    items.push({
      ref: item.ref,
      match: cmp.match,
      reason: cmp.reason,
      metrics: cmp.metrics,
      output: mine,
      outputHash: hashJson(mine),
      inferenceMs: 1,
    });
  }
  await reportCheck({
    node: identity,
    report: signCheckReport({ checkId: task.checkId, attempt: task.attempt, items }, checker.privateKey),
  });
  return { checkId: task.checkId, items: task.items };
}

/** `count` customer jobs on the model, run by `w` (the other workers offline meanwhile, so the indexer has no choice). */
async function submitTraffic(w: TestWorker, count: number) {
  await db.t.prisma.node.updateMany({ where: { id: { not: w.identity.id } }, data: { status: "offline" } });
  for (let k = 0; k < count; k++) {
    await submitJob({ orgId: owner, request: { model: slug, input: customerInput(k) } });
    expect(await work(w)).not.toBeNull();
  }
  await db.t.prisma.node.updateMany({ data: { status: "online", lastSeenAt: new Date() } });
}

/** A canary on `w` as the challenge schedule opens one (openDue): the model of one of its recent customer jobs. */
async function plantOn(w: TestWorker, model?: string): Promise<string> {
  const checkId = await openChallengeCheck({
    node: { id: w.identity.id, orgId: w.identity.orgId, models: w.identity.models },
    kind: "canary",
    planned: 1,
    modelId: model ?? (await drawRecentCustomerModel(sql(), { nodeId: w.identity.id })) ?? undefined,
  });
  if (!checkId) throw new Error("no challenge opened");
  return checkId;
}

const checkRow = (id: string) =>
  db.t.prisma.check.findUniqueOrThrow({ where: { id }, select: { modelId: true, verdict: true, status: true, evidence: true } });
const challengeJobOf = (checkId: string) =>
  db.t.prisma.job.findFirstOrThrow({
    where: { checkId },
    select: {
      id: true,
      orgId: true,
      modelId: true,
      purpose: true,
      pinnedNodeId: true,
      verification: true,
      payload: { select: { input: true } },
    },
  });

beforeAll(async () => {
  encoder = await encoderId();
  owner = await createOrg("owner", "customer", 1_000_000_000n);
  other = await createOrg("other", "customer", 1_000_000_000n);
  const options = {
    name: "pixels",
    visibility: "private" as const,
    preprocessing: "raw" as const,
    postprocessing: "raw" as const,
    royalty: 0n,
  };
  const registered = await registerModelBytes({
    orgId: owner,
    keyId: null,
    bytes: affineModel(),
    options: { ...options, dimBounds: { n: 16 } },
  });
  modelId = registered.model.id;
  slug = registered.model.slug;
  run = (await loadCustomModelRun(modelId)) as CustomModelRun;
  pipeline = await createCustomPipeline({ path: (await modelStore().localFile(modelId)) as string, id: modelId, signature: run.signature });
  honest = await createWorker({
    orgId: await createOrg("honest-provider", "provider"),
    models: [encoder],
    maxConcurrency: 4,
    acceptsCustomModels: true,
  });
  cheat = await createWorker({
    orgId: await createOrg("cheat-provider", "provider"),
    models: [encoder],
    maxConcurrency: 4,
    acceptsCustomModels: true,
  });
  checker = await createNode(await createOrg("checker-provider", "provider"), { role: "checker" });
  await updateAcceptsCustomModels(sql(), { nodeId: checker.identity.id, accepts: true });
  // Customer traffic on the private model, run by both workers, then measured.
  await submitTraffic(honest, 4);
  await submitTraffic(cheat, 4);
  expect(await sampleTraffic()).toBe(8);
}, 120_000);

afterAll(async () => {
  await pipeline?.dispose();
});

describe("challenges on an uploaded model", () => {
  it("keeps only numbers of the customer traffic: shapes, datatypes and value statistics", async () => {
    const samples = await db.t.prisma.trafficSample.findMany({ where: { modelId }, select: { sample: true } });
    expect(samples).toHaveLength(8);
    for (const { sample } of samples) {
      expect(sample).toMatchObject({ kind: "tensors", tensors: [{ name: "x", datatype: "FP32", shape: [5, 3], integral: true }] });
      const t = (sample as { tensors: { zeros: number; min: number; max: number; data?: unknown }[] }).tensors[0];
      expect(t?.data).toBeUndefined();
      expect(t?.min).toBeGreaterThan(0);
      expect(t?.max).toBeLessThanOrEqual(255);
      expect(t?.zeros).toBeGreaterThan(0);
    }
  });

  it("plants a canary in the shape of the model's recent traffic, paid by the protocol and in no customer's listings", async () => {
    const checkId = await plantOn(honest);
    expect((await checkRow(checkId)).modelId).toBe(modelId);
    const job = await challengeJobOf(checkId);
    expect(job).toMatchObject({ orgId: PROTOCOL_ORG_ID, modelId, purpose: "challenge", pinnedNodeId: honest.identity.id });
    const tensors = (job.payload?.input as { inputs: { name: string; datatype: string; shape: number[]; data: number[] }[] }).inputs;
    expect(tensors.map((t) => [t.name, t.datatype, t.shape])).toEqual([["x", "FP32", [5, 3]]]);
    const data = tensors[0]?.data ?? [];
    // The traffic's law: integers within its range (0 and 11–255 here), some zeros, not a copy of any job.
    expect(data.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)).toBe(true);
    const customerData = new Set(Array.from({ length: 8 }, (_, k) => JSON.stringify(customerInput(k).inputs[0]?.data)));
    expect(customerData.has(JSON.stringify(data))).toBe(false);
    // Tenancy: a protocol job, listed to neither the model's owner nor anyone else; the private model stays private.
    for (const org of [owner, other])
      expect((await listJobs({ orgId: org, request: { limit: 200 } })).jobs.map((j) => j.id)).not.toContain(job.id);
    expect((await listModels({ orgId: other })).map((m) => m.id)).not.toContain(modelId);

    // The honest worker runs it; the checker re-executes it with the model and it passes.
    expect((await work(honest))?.jobId).toBe(job.id);
    await advanceChallenges();
    const reported = await checkHonestly();
    expect(reported?.checkId).toBe(checkId);
    expect(reported?.items[0]?.custom).toMatchObject({ modelId, deterministic: run.deterministic });
    expect(await checkRow(checkId)).toMatchObject({ verdict: "pass", status: "done" });
    expect((await challengeJobOf(checkId)).verification).toBe("verified");
  }, 60_000);

  it("catches a worker that returns a wrong tensor: a dispute, and the third executor proves the fraud", async () => {
    const checkId = await plantOn(cheat);
    expect((await checkRow(checkId)).modelId).toBe(modelId);
    const job = await challengeJobOf(checkId);
    expect((await work(cheat, true))?.jobId).toBe(job.id);
    await advanceChallenges();
    expect((await checkHonestly())?.checkId).toBe(checkId);
    const dispute = await db.t.prisma.check.findFirstOrThrow({ where: { parentCheckId: checkId }, select: { kind: true, status: true } });
    expect(dispute).toEqual({ kind: "dispute", status: "queued" });
    // No other independent checker is online: the platform re-runs the model and decides.
    expect(await runLastResort()).toBe(1);
    expect(await checkRow(checkId)).toMatchObject({ verdict: "fraud", status: "done", evidence: { resolution: "worker_fraud" } });
    const verdicts = await db.t.prisma.nodeVerdict.findMany({ where: { nodeId: cheat.identity.id, checkId }, select: { verdict: true } });
    expect(verdicts.map((v) => v.verdict)).toEqual(["fraud"]);
    expect((await challengeJobOf(checkId)).verification).toBe("refunded");
    expect(await db.t.prisma.fraudCase.count({ where: { nodeId: cheat.identity.id } })).toBe(1);
  }, 60_000);

  it("plants none on a worker that never ran the model, nor one that no longer accepts uploaded models, nor on a model given up", async () => {
    // The schedule only draws a worker's own traffic; asked for the model anyway, the catalog stands in.
    const stranger = await createWorker({
      orgId: await createOrg("stranger-provider", "provider"),
      models: [encoder],
      acceptsCustomModels: true,
    });
    expect((await checkRow(await plantOn(stranger, modelId))).modelId).toBe(encoder);
    await updateAcceptsCustomModels(sql(), { nodeId: honest.identity.id, accepts: false });
    expect((await checkRow(await plantOn(honest))).modelId).toBe(encoder);
    await updateAcceptsCustomModels(sql(), { nodeId: honest.identity.id, accepts: true });
    expect((await checkRow(await plantOn(honest))).modelId).toBe(modelId);
    // A latency probe is timed: a model that may be cold on the node is not what it measures.
    const probe = await openChallengeCheck({
      node: { id: honest.identity.id, orgId: honest.identity.orgId, models: honest.identity.models },
      kind: "latency",
      planned: 1,
      modelId,
    });
    expect((await checkRow(probe as string)).modelId).toBe(encoder);
    await deleteCustomModel({ orgId: owner, id: modelId });
    expect((await checkRow(await plantOn(honest))).modelId).toBe(encoder);
  });
});
