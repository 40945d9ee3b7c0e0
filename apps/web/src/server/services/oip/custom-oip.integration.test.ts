import { setTimeout as sleep } from "node:timers/promises";
import { type CustomPipeline, createCustomPipeline } from "@proofgrid/models/custom/custom-pipeline";
import { goodModel } from "@proofgrid/models/custom/testing/build-onnx";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as modelRoute from "~/app/v2/models/[name]/route";
import * as modelReady from "~/app/v2/models/[name]/ready/route";
import * as infer from "~/app/v2/models/[name]/infer/route";
import { createApiKey } from "../../auth/api-keys.ts";
import { db } from "../../db.ts";
import { completeAs, createWorker, jobRow, resetMarket, type TestWorker } from "../../testing/job-fixtures.ts";
import { createOrg, setupServiceDatabase } from "../../testing/service-database.ts";
import { Dispatcher } from "../dispatch/dispatcher.ts";
import { loadCustomModelRun } from "../models/custom-model-run.ts";
import { modelStore } from "../models/model-store.ts";
import { registerModelBytes } from "../models/register-model.ts";
import { leaseJob } from "../nodes/lease-job.ts";

// An uploaded model (issue 17) over the Open Inference Protocol (/v2), through its route
// handlers against a real Postgres: its metadata is its stored signature, it is ready when a
// worker that accepts uploaded models is online, and an infer call is an ordinary job on it,
// run here by the real onnxruntime pipeline from the platform's store and completed with a
// signed receipt. Another organisation's private model is the 404 of a missing one.

setupServiceDatabase({
  name: "custom-oip",
  env: { POR_STAKE_REQUIRED: "0", POR_CHALLENGES: "0", PRICE_PER_CU_BASE_UNITS: "50000" },
});

let key: string;
let otherKey: string;
let model: { id: string; slug: string };
let pipeline: CustomPipeline;
let worker: TestWorker;
const options = { visibility: "private" as const, preprocessing: "raw" as const, postprocessing: "raw" as const, royalty: 0n };

beforeAll(async () => {
  const customer = await createOrg("customer", "customer", 1_000_000_000n);
  const other = await createOrg("other", "customer", 1_000_000_000n);
  key = (await createApiKey({ orgId: customer, name: "oip", scopes: ["jobs:write", "models:read"] })).key;
  otherKey = (await createApiKey({ orgId: other, name: "oip", scopes: ["jobs:write", "models:read"] })).key;
  const r = await registerModelBytes({ orgId: customer, keyId: null, bytes: goodModel(61), options: { ...options, name: "relu" } });
  model = { id: r.model.id, slug: r.model.slug };
  const run = await loadCustomModelRun(model.id);
  if (!run) throw new Error("no run record");
  pipeline = await createCustomPipeline({
    path: (await modelStore().localFile(model.id)) as string,
    id: model.id,
    signature: run.signature,
  });
}, 120_000);
afterAll(async () => {
  await pipeline?.dispose();
});

const params = (p: { name: string; version?: string }) => ({ params: Promise.resolve(p) });
const auth = (k: string) => ({ authorization: `Bearer ${k}`, "content-type": "application/json" });
const get = (path: string, k = key) => new Request(`http://localhost${path}`, { headers: auth(k) });
const post = (path: string, body: unknown, k = key) =>
  new Request(`http://localhost${path}`, { method: "POST", headers: auth(k), body: JSON.stringify(body) });

/** The worker's side of one job: placed, leased, run by the real pipeline, completed. */
async function serveOneJob(): Promise<string> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    await new Dispatcher().tick();
    const leased = await leaseJob({ node: worker.identity, waitMs: 0 });
    if (leased) {
      expect(leased.custom?.modelId).toBe(model.id);
      const output = await pipeline.run(leased.input as { inputs: unknown });
      expect((await completeAs(worker, { id: leased.jobId, attempt: leased.attempt }, output)).status).toBe("accepted");
      return leased.jobId;
    }
    await sleep(50);
  }
  throw new Error("no job to serve within 30 s");
}

const x = { name: "x", datatype: "FP32", shape: [1, 4], data: [1, -2, 3, -4] };

describe("an uploaded model over the Open Inference Protocol", () => {
  it("describes its signature's tensors, with its sha256 id as its one version; another organisation gets a 404", async () => {
    const res = await modelRoute.GET(get(`/v2/models/${model.slug}`), params({ name: model.slug }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      name: model.slug,
      versions: [model.id],
      platform: "onnxruntime_onnx",
      inputs: [{ name: "x", datatype: "FP32", shape: [1, 4] }],
      outputs: [{ name: "y", datatype: "FP32", shape: [-1] }],
    });
    const theirs = await modelRoute.GET(get(`/v2/models/${model.id}`, otherKey), params({ name: model.id }));
    expect(theirs.status).toBe(404);
    expect(JSON.stringify(await theirs.json())).toContain("unknown model");
  });

  it("is ready only while a worker that accepts uploaded models is online", async () => {
    await resetMarket();
    const readyNow = async () =>
      ((await (await modelReady.GET(get(`/v2/models/${model.slug}/ready`), params({ name: model.slug }))).json()) as { ready: boolean })
        .ready;
    await createWorker({ orgId: await createOrg("plain-provider", "provider"), models: [] });
    expect(await readyNow()).toBe(false);
    worker = await createWorker({ orgId: await createOrg("provider", "provider"), models: [], acceptsCustomModels: true });
    expect(await readyNow()).toBe(true);
  });

  it("runs an infer call as one job on the model, the real outputs back as tensors, honouring the outputs filter", async () => {
    const [res, served] = await Promise.all([
      infer.POST(post(`/v2/models/${model.slug}/infer`, { id: "7", inputs: [x], outputs: [{ name: "y" }] }), params({ name: model.slug })),
      serveOneJob(),
    ]);
    const body = (await res.json()) as { id: string; model_version: string; parameters: { proofgrid_job_id: string }; outputs: unknown[] };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(res.headers.get("x-proofgrid-job-id")).toBe(served);
    expect(body).toMatchObject({ id: "7", model_version: model.id, parameters: { proofgrid_job_id: served } });
    // y = relu(x + b), b = [61, 0, 0, 0]
    expect(body.outputs).toEqual([{ name: "y", datatype: "FP32", shape: [1, 4], data: [62, 0, 3, 0] }]);
    const row = await jobRow(served);
    expect(row).toMatchObject({ state: "succeeded", modelId: model.id });
    expect(row.payload?.input).toEqual({ inputs: [x] });
  });

  it("refuses a tensor that does not fit the signature, an unknown output and another organisation's model, creating no job", async () => {
    const before = await db().job.count();
    const cases: [Request, string, number, RegExp][] = [
      [post(`/v2/models/${model.slug}/infer`, { inputs: [{ ...x, shape: [1, 3], data: [1, 2, 3] }] }), model.slug, 400, /'x'/],
      [post(`/v2/models/${model.slug}/infer`, { inputs: [x], outputs: [{ name: "z" }] }), model.slug, 400, /unknown output 'z'/],
      [post(`/v2/models/${model.slug}/infer`, { inputs: [{ ...x, parameters: { binary_data_size: 16 } }] }), model.slug, 400, /binary/],
      [post(`/v2/models/${model.id}/infer`, { inputs: [x] }, otherKey), model.id, 404, /unknown model/],
    ];
    for (const [req, name, status, message] of cases) {
      const res = await infer.POST(req, params({ name }));
      const text = await res.text();
      expect(res.status, text).toBe(status);
      expect(text).toMatch(message);
    }
    expect(await db().job.count()).toBe(before);
  });
});
