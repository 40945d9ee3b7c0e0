import { setTimeout as sleep } from "node:timers/promises";
import { type CustomPipeline, createCustomPipeline } from "@proofgrid/models/custom/custom-pipeline";
import { COLOUR_LABELS, colourModel, goodModel, tokenModel } from "@proofgrid/models/custom/testing/build-onnx";
import { encodeText } from "@proofgrid/models/encoder/tokenizer";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as getJobRoute } from "~/app/api/v1/jobs/[id]/route";
import { POST as rerunRoute } from "~/app/api/v1/jobs/[id]/rerun/route";
import { DELETE as deleteRoute, PATCH as updateRoute } from "~/app/api/v1/models/[id]/route";
import { POST as submitBatchRoute } from "~/app/api/v1/jobs/batch/route";
import { POST as submitRoute } from "~/app/api/v1/jobs/route";
import { POST as registerRoute } from "~/app/api/v1/models/route";
import { createApiKey } from "../../auth/api-keys.ts";
import { API_SCOPES } from "../../auth/scopes.ts";
import { db } from "../../db.ts";
import { completeAs, createWorker, jobRow, type TestWorker } from "../../testing/job-fixtures.ts";
import { createOrg, setupServiceDatabase } from "../../testing/service-database.ts";
import { Dispatcher } from "../dispatch/dispatcher.ts";
import { leaseJob } from "../nodes/lease-job.ts";
import { loadCustomModelRun } from "./custom-model-run.ts";
import { modelStore } from "./model-store.ts";

// The processing menu of uploaded models (issue 17) through the REST routes, against a real
// Postgres and real onnxruntime: an owner publishes an image classifier with `image` and
// `labels`; another organisation sends a PNG, the job holds the normalised tensor the model
// runs on, a worker runs it with the real pipeline, and the job's view names the picture's
// colour. A processing that does not fit the model is refused at registration with the
// reason; an input the processing cannot read is a 400 that creates no job.

setupServiceDatabase({
  name: "custom-processing",
  env: { POR_STAKE_REQUIRED: "0", POR_CHALLENGES: "0", PRICE_PER_CU_BASE_UNITS: "50000" },
});

const ORIGIN = "http://127.0.0.1";
let ownerKey: string;
let customerKey: string;
let worker: TestWorker;
/** A re-run is placed on any worker but the one that ran its source. */
let otherWorker: TestWorker;
const pipelines = new Map<string, CustomPipeline>();

beforeAll(async () => {
  const owner = await createOrg("processing-owner", "customer", 100_000_000n);
  const customer = await createOrg("processing-customer", "customer", 1_000_000_000n);
  ownerKey = (await createApiKey({ orgId: owner, name: "owner", scopes: [...API_SCOPES] })).key;
  customerKey = (await createApiKey({ orgId: customer, name: "customer", scopes: [...API_SCOPES] })).key;
  worker = await createWorker({ orgId: await createOrg("processing-provider", "provider"), models: [], acceptsCustomModels: true });
  otherWorker = await createWorker({ orgId: await createOrg("processing-provider-2", "provider"), models: [], acceptsCustomModels: true });
}, 120_000);
afterAll(async () => {
  for (const p of pipelines.values()) await p.dispose();
});

const auth = (key: string) => ({ authorization: `Bearer ${key}` });
type Body = Record<string, unknown> & { error?: { code: string; message: string } };

async function register(bytes: Uint8Array, query: Record<string, string>, key = ownerKey) {
  const res = await registerRoute(
    new Request(`${ORIGIN}/api/v1/models?${new URLSearchParams(query)}`, {
      method: "POST",
      headers: { ...auth(key), "content-type": "application/octet-stream" },
      body: new Uint8Array(bytes),
    }),
  );
  return { status: res.status, body: (await res.json()) as Body };
}

async function submit(body: unknown, path = "/api/v1/jobs", route = submitRoute) {
  const res = await route(
    new Request(`${ORIGIN}${path}`, {
      method: "POST",
      headers: { ...auth(customerKey), "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
  );
  return { status: res.status, body: (await res.json()) as Body };
}

async function getJob(id: string) {
  const res = await getJobRoute(new Request(`${ORIGIN}/api/v1/jobs/${id}`, { headers: auth(customerKey) }), {
    params: Promise.resolve({ id }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Body;
}

/** The worker's side: placed, leased, run by the real pipeline from the platform's store, completed. */
async function serve(n: number, only?: TestWorker): Promise<void> {
  const deadline = Date.now() + 30_000;
  let served = 0;
  while (served < n && Date.now() < deadline) {
    await new Dispatcher().tick();
    let leased: Awaited<ReturnType<typeof leaseJob>> = null;
    let by = worker;
    for (const w of only ? [only] : [worker, otherWorker]) {
      leased = await leaseJob({ node: w.identity, waitMs: 0 });
      by = w;
      if (leased) break;
    }
    if (!leased) {
      await sleep(50);
      continue;
    }
    const modelId = leased.custom?.modelId as string;
    let pipeline = pipelines.get(modelId);
    if (!pipeline) {
      const run = await loadCustomModelRun(modelId);
      pipeline = await createCustomPipeline({
        path: (await modelStore().localFile(modelId)) as string,
        id: modelId,
        signature: run!.signature,
      });
      pipelines.set(modelId, pipeline);
    }
    const output = await pipeline.run(leased.input as { inputs: unknown });
    expect((await completeAs(by, { id: leased.jobId, attempt: leased.attempt }, output)).status).toBe("accepted");
    served++;
  }
  expect(served).toBe(n);
}

const png = async (rgb: [number, number, number]) =>
  (
    await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
      .png()
      .toBuffer()
  ).toString("base64");

describe("an image classifier published with `image` and `labels`", () => {
  let slug: string;

  it("is registered with its processing, shown in its listing", async () => {
    const r = await register(colourModel(), {
      name: "colours",
      visibility: "public",
      preprocessing: "image",
      postprocessing: "labels",
      labels: JSON.stringify(COLOUR_LABELS),
      dimBounds: JSON.stringify({ batch: 1 }),
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.custom).toMatchObject({ preprocessing: "image", postprocessing: "labels", labels: [...COLOUR_LABELS] });
    slug = r.body.slug as string;
  });

  it("takes a PNG from another organisation: the job holds the model's tensor, the view names the colour", async () => {
    const sub = await submit({ model: slug, input: { image: await png([20, 30, 220]) } });
    expect(sub.status, JSON.stringify(sub.body)).toBe(201);
    expect(sub.body.inputAdjustments).toEqual([expect.stringMatching(/image 64×48 scaled to 8×8 and written as 'pixel_values' float32/)]);
    const id = sub.body.id as string;
    const row = await jobRow(id);
    expect(row.payload?.input).toMatchObject({ inputs: [{ name: "pixel_values", datatype: "FP32", shape: [1, 3, 8, 8] }] });
    await serve(1);
    const view = await getJob(id);
    expect(view).toMatchObject({ state: "succeeded", output: { outputs: [{ name: "logits", shape: [1, 3] }] } });
    expect(view.result).toMatchObject({ top: [[{ label: "blue", index: 2 }, {}, {}]] });
  });

  it("runs a batch of pictures and tensors a client made itself, each its own result", async () => {
    const tensor = {
      name: "pixel_values",
      datatype: "FP32",
      shape: [1, 3, 8, 8],
      data: [...new Array(64).fill(0), ...new Array(64).fill(3), ...new Array(64).fill(0)],
    };
    const sub = await submit(
      {
        jobs: [
          { model: slug, input: { image: await png([240, 10, 10]) } },
          { model: slug, input: { inputs: [tensor] } },
        ],
      },
      "/api/v1/jobs/batch",
      submitBatchRoute,
    );
    expect(sub.status, JSON.stringify(sub.body)).toBe(201);
    const ids = (sub.body.jobs as { id: string }[]).map((j) => j.id);
    await serve(2);
    expect((await getJob(ids[0] as string)).result).toMatchObject({ top: [[{ label: "red" }, {}, {}]] });
    expect((await getJob(ids[1] as string)).result).toMatchObject({ top: [[{ label: "green" }, {}, {}]] });
  });

  it("refuses what is not a picture with the reason, creating no job", async () => {
    const before = await db().job.count();
    const bad = await submit({ model: slug, input: { image: Buffer.from("GIF89a not really").toString("base64") } });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.message).toMatch(/image could not be decoded/);
    const text = await submit({ model: slug, input: { text: "a red square" } });
    expect(text.status).toBe(400);
    expect(text.body.error?.message).toMatch(/takes \{image/);
    expect(await db().job.count()).toBe(before);
  });
});

describe("a listing's processing is the customers' to rely on", () => {
  let slug: string;
  let id: string;
  let jobId: string;

  it("is shared by every public listing of the same bytes: a copy with other labels is refused publication (409)", async () => {
    const r = await register(colourModel(), { name: "colours again" });
    // The owner already has these bytes with image + labels: other processing is a 409, the same is its model.
    expect(r.status).toBe(409);
    expect(r.body.error?.message).toMatch(/already has this model with preprocessing image and postprocessing labels/);
    const same = await register(colourModel(), {
      name: "colours",
      preprocessing: "image",
      postprocessing: "labels",
      labels: JSON.stringify(COLOUR_LABELS),
      dimBounds: JSON.stringify({ batch: 1 }),
    });
    expect(same.status).toBe(200);
    slug = same.body.slug as string;
    id = same.body.id as string;
    // Another organisation publishing the same bytes with swapped labels, cheaper: refused.
    const swapped = await register(
      colourModel(),
      {
        name: "mine now",
        visibility: "public",
        preprocessing: "image",
        postprocessing: "labels",
        labels: JSON.stringify(["blue", "green", "red"]),
        dimBounds: JSON.stringify({ batch: 1 }),
      },
      customerKey,
    );
    expect(swapped.status).toBe(409);
    expect(swapped.body.error?.message).toMatch(/already public from processing-owner with another processing/);
    // Kept private it is its own: the customer's own jobs take its own listing.
    const own = await register(
      colourModel(),
      { name: "my copy", visibility: "private", dimBounds: JSON.stringify({ batch: 1 }) },
      customerKey,
    );
    expect(own.status, JSON.stringify(own.body)).toBe(201);
    const publish = await updateRoute(
      new Request(`${ORIGIN}/api/v1/models/${id}`, {
        method: "PATCH",
        headers: { ...auth(customerKey), "content-type": "application/json" },
        body: JSON.stringify({ visibility: "public" }),
      }),
      { params: Promise.resolve({ id }) },
    );
    expect(publish.status).toBe(409);
    await deleteRoute(new Request(`${ORIGIN}/api/v1/models/${id}`, { method: "DELETE", headers: auth(customerKey) }), {
      params: Promise.resolve({ id }),
    });
  });

  it("stays with the job: a re-run keeps it; registered again with other labels, the owner relabels none of the earlier jobs", async () => {
    const sub = await submit({ model: slug, input: { image: await png([200, 10, 10]) } });
    expect(sub.status, JSON.stringify(sub.body)).toBe(201);
    jobId = sub.body.id as string;
    await serve(1);
    expect((await getJob(jobId)).result).toMatchObject({ top: [[{ label: "red" }, {}, {}]] });
    // Proven wrong (as a fraud verdict leaves it): its labels would be the cheater's, so none; its re-run has them.
    await db().job.update({ where: { id: jobId }, data: { verification: "refunded" } });
    expect((await getJob(jobId)).result).toBeUndefined();
    const rerun = await rerunRoute(new Request(`${ORIGIN}/api/v1/jobs/${jobId}/rerun`, { method: "POST", headers: auth(customerKey) }), {
      params: Promise.resolve({ id: jobId }),
    });
    const rerunBody = (await rerun.json()) as Body;
    expect(rerun.status, JSON.stringify(rerunBody)).toBe(201);
    await serve(1); // on the worker that did not run the source
    expect((await getJob(rerunBody.id as string)).result).toMatchObject({ top: [[{ label: "red" }, {}, {}]] });
    // The owner gives it up and registers the bytes again, labels reversed.
    await deleteRoute(new Request(`${ORIGIN}/api/v1/models/${id}`, { method: "DELETE", headers: auth(ownerKey) }), {
      params: Promise.resolve({ id }),
    });
    const again = await register(colourModel(), {
      name: "colours",
      visibility: "public",
      preprocessing: "image",
      postprocessing: "labels",
      labels: JSON.stringify(["blue", "green", "red"]),
      dimBounds: JSON.stringify({ batch: 1 }),
    });
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    const view = await getJob(rerunBody.id as string);
    expect(view.output).toBeDefined();
    expect(view.result).toBeUndefined();
  });
});

describe("a text model with `text`", () => {
  it("feeds the catalog tokenizer's ids: the model's output echoes them", async () => {
    const r = await register(tokenModel(), { name: "tokens", preprocessing: "text", dimBounds: JSON.stringify({ seq: 64 }) });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const text = "Verified inference, by the token.";
    // The owner's own job: the listing is its own.
    const sub = await fetchAsOwner({ model: r.body.slug, input: { text } });
    expect(sub.status, JSON.stringify(sub.body)).toBe(201);
    await serve(1);
    const row = await jobRow(sub.body.id as string);
    const ids = encodeText(text, 64);
    expect(row.payload?.output).toMatchObject({
      outputs: [
        { name: "ids", data: ids },
        { name: "tokens", data: [ids.length] },
      ],
    });
  });
});

async function fetchAsOwner(body: unknown) {
  const res = await submitRoute(
    new Request(`${ORIGIN}/api/v1/jobs`, {
      method: "POST",
      headers: { ...auth(ownerKey), "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
  );
  return { status: res.status, body: (await res.json()) as Body };
}

describe("a processing that does not fit its model", () => {
  it("is refused at registration with the reason, and nothing is stored", async () => {
    const before = await db().model.count();
    // The last: bytes another organisation registered, checked against their stored signature.
    const cases: [Uint8Array, Record<string, string>, RegExp][] = [
      [goodModel(71), { preprocessing: "image" }, /float32 \[1, C, H, W\]; it has 2 axes/],
      [goodModel(72), { preprocessing: "text" }, /int64 or int32/],
      [goodModel(73), { postprocessing: "labels" }, /needs labels/],
      [colourModel(), { preprocessing: "image", mean: "[0.5, 0.5]" }, /mean has 2 values; the model's input has 3 channels/],
    ];
    for (const [bytes, query, reason] of cases) {
      const r = await register(bytes, { name: "unfit", dimBounds: JSON.stringify({ batch: 1 }), ...query }, customerKey);
      expect(r.status, JSON.stringify(r.body)).toBe(422);
      expect(r.body.error?.message).toMatch(reason);
    }
    expect(await db().model.count()).toBe(before);
    expect(await db().customModel.count({ where: { name: "unfit" } })).toBe(0);
    const badJson = await register(goodModel(74), { name: "x", labels: "[cat" });
    expect(badJson.status).toBe(400);
    expect(badJson.body.error?.message).toMatch(/labels must be JSON/);
  });
});
