import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { checkLedger } from "@proofgrid/db/ledger";
import { sql } from "@proofgrid/db/sql-client";
import { createPipeline, type Pipeline } from "@proofgrid/models";
import { parseWavHeader, readWavSamples } from "@proofgrid/models/audio/wav";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as serverMetadata from "~/app/v2/route";
import * as live from "~/app/v2/health/live/route";
import * as ready from "~/app/v2/health/ready/route";
import * as modelRoute from "~/app/v2/models/[name]/route";
import * as modelReady from "~/app/v2/models/[name]/ready/route";
import * as infer from "~/app/v2/models/[name]/infer/route";
import * as versionRoute from "~/app/v2/models/[name]/versions/[version]/route";
import * as versionInfer from "~/app/v2/models/[name]/versions/[version]/infer/route";
import { createApiKey } from "../../auth/api-keys.ts";
import { db } from "../../db.ts";
import { completeAs, createWorker, jobRow, type TestWorker, transfersOf } from "../../testing/job-fixtures.ts";
import { createOrg, setupServiceDatabase } from "../../testing/service-database.ts";
import { Dispatcher } from "../dispatch/dispatcher.ts";
import { syncBuiltinCatalog } from "../models/sync-catalog.ts";
import { leaseJob } from "../nodes/lease-job.ts";

// The Open Inference Protocol (/v2) through its route handlers against a real Postgres. An
// infer call is an ordinary job: this file's worker loop places it (the dispatcher), leases
// it, runs the real onnxruntime pipeline on the job's input and completes it with a signed
// receipt through the node service, so every tensor returned is real inference.

setupServiceDatabase({
  name: "oip",
  env: { POR_STAKE_REQUIRED: "0", POR_CHALLENGES: "0", PRICE_PER_CU_BASE_UNITS: "50000" },
});

const ENCODER = "encoder-synthetic-minilm";
const VAD = "vad-silero-v5";
let ids: Record<string, string>;
let key: string;
let customer: string;
let worker: TestWorker;
const pipelines = new Map<string, Pipeline>();

beforeAll(async () => {
  ids = Object.fromEntries((await syncBuiltinCatalog()).map((m) => [m.slug, m.id]));
  customer = await createOrg("customer", "customer", 1_000_000_000n);
  key = (await createApiKey({ orgId: customer, name: "oip", scopes: ["jobs:write", "models:read"] })).key;
  const provider = await createOrg("provider", "provider");
  worker = await createWorker({ orgId: provider, models: [ids[ENCODER] as string, ids[VAD] as string] });
  for (const slug of [ENCODER, VAD]) pipelines.set(slug, await createPipeline(slug, { intraOpNumThreads: 1 }));
}, 120_000);
afterAll(async () => {
  for (const p of pipelines.values()) await p.dispose();
});

/** The worker's side of one job: placed by the dispatcher, leased, run by the real model, completed. */
async function serveOneJob(): Promise<string> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    await new Dispatcher().tick();
    const leased = await leaseJob({ node: worker.identity, waitMs: 0 });
    if (leased) {
      const pipeline = pipelines.get(leased.modelSlug);
      if (!pipeline) throw new Error(`no pipeline for ${leased.modelSlug}`);
      const output = await pipeline.run(leased.input as never);
      const reply = await completeAs(worker, { id: leased.jobId, attempt: leased.attempt }, output);
      expect(reply.status).toBe("accepted");
      return leased.jobId;
    }
    await sleep(50);
  }
  throw new Error("no job to serve within 30 s");
}

const params = (p: { name: string; version?: string }) => ({ params: Promise.resolve(p) });
const auth = (k = key) => ({ authorization: `Bearer ${k}`, "content-type": "application/json" });

function post(path: string, body: unknown, headers: Record<string, string> = auth()): Request {
  return new Request(`http://localhost${path}`, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}
const get = (path: string, headers: Record<string, string> = auth()) => new Request(`http://localhost${path}`, { headers });

interface InferBody {
  model_name: string;
  model_version: string;
  id: string;
  parameters: { proofgrid_job_id: string; proofgrid_price: string };
  outputs: { name: string; datatype: string; shape: number[]; data: unknown[] }[];
}

/** An infer call answered by the worker loop. */
async function inferServed(name: string, body: unknown): Promise<{ res: Response; body: InferBody; servedJob: string }> {
  const [res, servedJob] = await Promise.all([infer.POST(post(`/v2/models/${name}/infer`, body), params({ name })), serveOneJob()]);
  return { res, body: (await res.json()) as InferBody, servedJob };
}

const jobCount = () => db().job.count();

describe("server endpoints", () => {
  it("answers live, ready and server metadata without a key", async () => {
    const l = await live.GET(get("/v2/health/live", {}));
    expect(l.status).toBe(200);
    expect(await l.json()).toEqual({ live: true });
    const r = await ready.GET(get("/v2/health/ready", {}));
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ ready: true });
    const m = await serverMetadata.GET(get("/v2", {}));
    expect(await m.json()).toEqual({ name: "proofgrid", version: expect.any(String), extensions: [] });
    const wrong = await live.POST(post("/v2/health/live", {}));
    expect(wrong.status).toBe(405);
    expect(await wrong.json()).toEqual({ error: expect.stringMatching(/use GET/) });
  });
});

describe("model metadata and readiness", () => {
  it("describes the encoder's tensors, with its sha256 id as its one version", async () => {
    const res = await modelRoute.GET(get(`/v2/models/${ENCODER}`), params({ name: ENCODER }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      name: ENCODER,
      versions: [ids[ENCODER]],
      platform: "onnxruntime_onnx",
      inputs: [{ name: "text", datatype: "BYTES", shape: [-1] }],
      outputs: [{ name: "embeddings", datatype: "FP32", shape: [-1, 384] }],
    });
    const v = await versionRoute.GET(get("/"), params({ name: ENCODER, version: ids[ENCODER] as string }));
    expect(v.status).toBe(200);
    const vad = await (await modelRoute.GET(get("/"), params({ name: VAD }))).json();
    expect(vad.inputs).toEqual([{ name: "audio", datatype: "FP32", shape: [1, -1] }]);
    expect(vad.outputs.map((o: { name: string }) => o.name)).toEqual(["segments", "duration", "frames"]);
  });

  it("is ready when an online worker serves the model", async () => {
    const res = await modelReady.GET(get("/"), params({ name: ENCODER }));
    expect(await res.json()).toEqual({ name: ENCODER, ready: true });
    // Nobody serves OCR in this file.
    expect(await (await modelReady.GET(get("/"), params({ name: "ocr-ppocr-v4" }))).json()).toEqual({ name: "ocr-ppocr-v4", ready: false });
  });

  it("refuses an unknown model or version (404), a bad key (401) and no key (401), in the protocol's shape", async () => {
    const cases: [Promise<Response>, number, RegExp][] = [
      [modelRoute.GET(get("/"), params({ name: "no-such-model" })), 404, /unknown model 'no-such-model'/],
      [versionRoute.GET(get("/"), params({ name: ENCODER, version: "7" })), 404, /no version '7'/],
      [modelRoute.GET(get("/", auth("pg_wrong_key")), params({ name: ENCODER })), 401, /invalid API key/],
      [modelRoute.GET(get("/", {}), params({ name: ENCODER })), 401, /missing API key/],
    ];
    for (const [p, status, message] of cases) {
      const res = await p;
      expect(res.status).toBe(status);
      const body = await res.json();
      expect(Object.keys(body)).toEqual(["error"]);
      expect(body.error).toMatch(message);
    }
  });
});

describe("infer", () => {
  it("embeds a BYTES tensor of strings as one billed, receipted job: FP32 [n, 384], the model's own vectors", async () => {
    const texts = ["verified inference on independent GPUs", "a second text"];
    const { res, body, servedJob } = await inferServed(ENCODER, {
      id: "42",
      inputs: [{ name: "text", shape: [2], datatype: "BYTES", data: texts }],
    });
    expect(res.status, JSON.stringify(body)).toBe(200);
    const jobId = res.headers.get("x-proofgrid-job-id");
    expect(jobId).toBe(servedJob);
    expect(body).toMatchObject({ model_name: ENCODER, model_version: ids[ENCODER], id: "42", parameters: { proofgrid_job_id: jobId } });
    expect(body.outputs).toHaveLength(1);
    const [out] = body.outputs;
    expect(out).toMatchObject({ name: "embeddings", datatype: "FP32", shape: [2, 384] });
    expect(out?.data).toHaveLength(768);
    // Real inference: the vectors are what the encoder gives for these texts.
    const direct = await pipelines.get(ENCODER)?.run({ texts } as never);
    expect(out?.data).toEqual((direct as { vectors: number[][] }).vectors.flat());

    const row = await jobRow(jobId as string);
    expect(row.state).toBe("succeeded");
    expect(row.payload?.input).toEqual({ texts });
    expect(await transfersOf(jobId as string)).toContain("settle");
    expect(BigInt(body.parameters.proofgrid_price)).toBeGreaterThan(0n);
    expect((await checkLedger(sql())).ok).toBe(true);
  });

  it("finds the speech in FP32 samples [1, N] at 16 kHz, honouring the outputs filter, and answers the version route", async () => {
    const wav = readFileSync(new URL("../../../../../../packages/models/fixtures/speech-16k.wav", import.meta.url));
    const samples = Array.from(readWavSamples(wav, parseWavHeader(wav)));
    const request = {
      inputs: [{ name: "audio", shape: [1, samples.length], datatype: "FP32", data: samples }],
      outputs: [{ name: "segments" }, { name: "frames" }],
    };
    const [res, served] = await Promise.all([
      versionInfer.POST(post("/", request), params({ name: VAD, version: ids[VAD] as string })),
      serveOneJob(),
    ]);
    const body = (await res.json()) as InferBody;
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.id).toBe(served);
    expect(body.outputs.map((o) => o.name)).toEqual(["segments", "frames"]);
    const [segments, frames] = body.outputs;
    const direct = (await pipelines.get(VAD)?.run({ audio: wav.toString("base64") })) as {
      segments: { start: number; end: number }[];
      frames: number;
    };
    expect(direct.segments.length).toBeGreaterThan(0);
    expect(segments).toEqual({
      name: "segments",
      datatype: "FP32",
      shape: [direct.segments.length, 2],
      data: direct.segments.flatMap((s) => [s.start, s.end]),
    });
    expect(frames).toEqual({ name: "frames", datatype: "INT32", shape: [1], data: [direct.frames] });
  });

  it("refuses bad requests with a clear 4xx in the protocol's shape and creates no job", async () => {
    const text = (data: unknown[], extra: Record<string, unknown> = {}) => ({
      inputs: [{ name: "text", shape: [data.length], datatype: "BYTES", data, ...extra }],
    });
    // The protocol's own example request (inference_rest.md), sent to a model that does not take it.
    const specExample = {
      id: "42",
      inputs: [
        { name: "input0", shape: [2, 2], datatype: "UINT32", data: [1, 2, 3, 4] },
        { name: "input1", shape: [3], datatype: "BOOL", data: [true] },
      ],
      outputs: [{ name: "output0" }],
    };
    const cases: [string, string, unknown, number, RegExp, Record<string, string>?][] = [
      ["the spec's example", ENCODER, specExample, 400, /unknown input 'input0'/],
      ["not JSON", ENCODER, "{", 400, /not valid JSON/],
      ["no inputs", ENCODER, { inputs: [] }, 400, /invalid inference request/],
      ["an unknown datatype", ENCODER, text(["a"], { datatype: "STRING" }), 400, /invalid inference request/],
      ["the wrong datatype", ENCODER, text(["a"], { datatype: "FP32" }), 400, /datatype FP32; this model takes BYTES/],
      ["the wrong rank", ENCODER, text(["a"], { shape: [1, 1] }), 400, /shape \[1, 1\]; this model takes \[-1\]/],
      ["shape and data disagree", ENCODER, text(["a", "b"], { shape: [3] }), 400, /holds 3 elements but data has 2/],
      ["a number in a BYTES tensor", ENCODER, text(["a", 7]), 400, /element 1 is not a string/],
      ["data nested deeper than its shape", ENCODER, text([["a"]]), 400, /nested deeper/],
      ["an empty string", ENCODER, text([""]), 400, /empty string/],
      ["too many strings", ENCODER, text(Array.from({ length: 33 }, () => "a")), 413, /too large.*at most 32/],
      ["too long a string", ENCODER, text(["x".repeat(2_001)]), 413, /at most 2000/],
      ["an unknown output", ENCODER, { ...text(["a"]), outputs: [{ name: "logits" }] }, 400, /unknown output 'logits'/],
      ["an input twice", ENCODER, { inputs: [...text(["a"]).inputs, ...text(["b"]).inputs] }, 400, /given twice/],
      ["binary tensors", ENCODER, text(["a"], { parameters: { binary_data_size: 1 } }), 400, /binary tensor extension/],
      ["strings as audio", VAD, { inputs: [{ name: "audio", shape: [1, 1], datatype: "FP32", data: ["x"] }] }, 400, /not a finite number/],
      ["too short audio", VAD, { inputs: [{ name: "audio", shape: [1, 3], datatype: "FP32", data: [0, 0, 0] }] }, 400, /at least 512/],
      [
        "the audio shape over the limit",
        VAD,
        { inputs: [{ name: "audio", shape: [1, 9_600_001], datatype: "FP32", data: [] }] },
        413,
        /too large/,
      ],
      ["an unknown model", "no-such-model", text(["a"]), 404, /unknown model/],
      ["a bad key", ENCODER, text(["a"]), 401, /invalid API key/, auth("pg_wrong_key")],
      ["no key", ENCODER, text(["a"]), 401, /missing API key/, { "content-type": "application/json" }],
    ];
    const before = await jobCount();
    for (const [what, name, body, status, message, headers] of cases) {
      const res = await infer.POST(post(`/v2/models/${name}/infer`, body, headers), params({ name }));
      const got = await res.json();
      expect(res.status, `${what}: ${JSON.stringify(got)}`).toBe(status);
      expect(Object.keys(got), what).toEqual(["error"]);
      expect(got.error, what).toMatch(message);
      expect(res.headers.get("x-proofgrid-job-id"), what).toBeNull();
    }
    // A key without jobs:write may read metadata but not infer.
    const readOnly = (await createApiKey({ orgId: customer, name: "ro", scopes: ["models:read"] })).key;
    const res = await infer.POST(post(`/v2/models/${ENCODER}/infer`, text(["a"]), auth(readOnly)), params({ name: ENCODER }));
    expect(res.status).toBe(403);
    expect(await jobCount()).toBe(before);
  });
});
