import { readFileSync } from "node:fs";
import { parseWavHeader, readWavSamples } from "@proofgrid/models/audio/wav";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ledgerSnapshot } from "../support/ledger.ts";
import { api, type Stack, startStack } from "../support/stack.ts";

// The Open Inference Protocol (KServe / Triton "V2" REST) through the real stack: the web
// server (its data plane serves /v2/models/{name}/infer), the coordinator and a worker
// process. Requests and responses have the shapes of the protocol's published examples
// (open-inference-protocol, specification/protocol/inference_rest.md).

interface Job {
  id: string;
  state: string;
  price: string;
  model: string;
  output?: { dim: number; vectors: number[][] };
}
interface Tensor {
  name: string;
  datatype: string;
  shape: number[];
  data: unknown[];
}
interface InferBody {
  model_name: string;
  model_version: string;
  id: string;
  parameters: { proofgrid_job_id: string; proofgrid_price: string };
  outputs: Tensor[];
}

const ENCODER = "encoder-synthetic-minilm";
const VAD = "vad-silero-v5";
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ leaseMs: 10_000 });
  await stack.addWorker("w1");
});
afterAll(async () => {
  await stack?.stop();
});

function closeTo(a: number[], b: number[]) {
  expect(a).toHaveLength(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs((a[i] ?? 0) - (b[i] ?? 0))).toBeLessThan(1e-5);
}

async function inferRaw(name: string, body: unknown, key: string | null = stack.apiKey) {
  const res = await fetch(`${stack.url}/v2/models/${name}/infer`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { res, body: (await res.json()) as InferBody & { error?: string } };
}

describe("Open Inference Protocol v2", () => {
  const jobIds: string[] = [];

  it("answers health and server metadata", async () => {
    expect((await api(stack, "/v2/health/live", { key: null })).body).toEqual({ live: true });
    expect((await api(stack, "/v2/health/ready", { key: null })).body).toEqual({ ready: true });
    expect((await api(stack, "/v2", { key: null })).body).toMatchObject({ name: "proofgrid", extensions: [] });
  });

  it("describes a model's tensors and says it is ready while a worker serves it", async () => {
    const meta = await api<{ name: string; versions: string[]; platform: string; inputs: Tensor[]; outputs: Tensor[] }>(
      stack,
      `/v2/models/${ENCODER}`,
    );
    expect(meta.status).toBe(200);
    expect(meta.body).toMatchObject({
      name: ENCODER,
      platform: "onnxruntime_onnx",
      inputs: [{ name: "text", datatype: "BYTES", shape: [-1] }],
      outputs: [{ name: "embeddings", datatype: "FP32", shape: [-1, 384] }],
    });
    expect(meta.body.versions[0]).toMatch(/^[0-9a-f]{64}$/);
    expect((await api(stack, `/v2/models/${ENCODER}/ready`)).body).toEqual({ name: ENCODER, ready: true });
  });

  it("embeds a BYTES tensor as a billed job: the same vectors as the jobs API, the job id in a header and in parameters", async () => {
    const texts = ["verified inference on independent GPUs", "third"];
    const { res, body } = await inferRaw(ENCODER, { id: "42", inputs: [{ name: "text", shape: [2], datatype: "BYTES", data: texts }] });
    expect(res.status, JSON.stringify(body)).toBe(200);
    const jobId = res.headers.get("x-proofgrid-job-id") as string;
    jobIds.push(jobId);
    expect(body).toMatchObject({ model_name: ENCODER, id: "42", parameters: { proofgrid_job_id: jobId } });
    const [out] = body.outputs;
    expect(out).toMatchObject({ name: "embeddings", datatype: "FP32", shape: [2, 384] });

    const native = await api<Job>(stack, "/api/v1/jobs", { body: { model: ENCODER, input: { text: "third" } } });
    expect(native.status).toBe(201);
    jobIds.push(native.body.id);
    const done = await api<Job>(stack, `/api/v1/jobs/${native.body.id}?wait=60000`);
    expect(done.body.state).toBe("succeeded");
    closeTo((out?.data as number[]).slice(384), done.body.output?.vectors[0] ?? []);

    const job = await api<Job>(stack, `/api/v1/jobs/${jobId}`);
    expect(job.body).toMatchObject({ state: "succeeded", model: ENCODER });
  });

  it("runs VAD on FP32 samples [1, N] at 16 kHz through the versioned path, honouring the outputs filter", async () => {
    const wav = readFileSync(new URL("../../packages/models/fixtures/speech-16k.wav", import.meta.url));
    const samples = Array.from(readWavSamples(wav, parseWavHeader(wav)));
    const version = (await api<{ versions: string[] }>(stack, `/v2/models/${VAD}`)).body.versions[0];
    const res = await fetch(`${stack.url}/v2/models/${VAD}/versions/${version}/infer`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${stack.apiKey}` },
      body: JSON.stringify({
        inputs: [{ name: "audio", shape: [1, samples.length], datatype: "FP32", data: samples }],
        outputs: [{ name: "segments" }],
      }),
    });
    const body = (await res.json()) as InferBody;
    expect(res.status, JSON.stringify(body)).toBe(200);
    jobIds.push(res.headers.get("x-proofgrid-job-id") as string);
    expect(body.model_version).toBe(version);
    expect(body.outputs.map((o) => o.name)).toEqual(["segments"]);
    const [segments] = body.outputs;
    expect(segments?.datatype).toBe("FP32");
    expect(segments?.shape[0]).toBeGreaterThan(0);
    expect(segments?.shape[1]).toBe(2);
  });

  it("refuses bad requests in the protocol's error shape, creating no job", async () => {
    const before = (await api<{ jobs: unknown[] }>(stack, "/api/v1/jobs?limit=100")).body.jobs.length;
    // The protocol's own example request, to a model that does not take those inputs.
    const example = {
      id: "42",
      inputs: [
        { name: "input0", shape: [2, 2], datatype: "UINT32", data: [1, 2, 3, 4] },
        { name: "input1", shape: [3], datatype: "BOOL", data: [true] },
      ],
      outputs: [{ name: "output0" }],
    };
    const text = (data: unknown[], extra: Record<string, unknown> = {}) => ({
      inputs: [{ name: "text", shape: [data.length], datatype: "BYTES", data, ...extra }],
    });
    const cases: [string, unknown, number, string | null][] = [
      [ENCODER, example, 400, stack.apiKey],
      [ENCODER, text(["a"], { datatype: "FP32" }), 400, stack.apiKey],
      [ENCODER, text(["a", "b"], { shape: [3] }), 400, stack.apiKey],
      [ENCODER, text(Array.from({ length: 33 }, () => "a")), 413, stack.apiKey],
      [ENCODER, { ...text(["a"]), outputs: [{ name: "nope" }] }, 400, stack.apiKey],
      ["no-such-model", text(["a"]), 404, stack.apiKey],
      [ENCODER, text(["a"]), 401, "pg_wrong_key"],
      [ENCODER, text(["a"]), 401, null],
    ];
    for (const [name, body, status, key] of cases) {
      const { res, body: got } = await inferRaw(name, body, key);
      expect(res.status, JSON.stringify(got)).toBe(status);
      expect(Object.keys(got)).toEqual(["error"]);
      expect(typeof got.error).toBe("string");
    }
    const wrongMethod = await api<{ error: string }>(stack, `/v2/models/${ENCODER}/infer`);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.body.error).toMatch(/POST/);
    expect((await api<{ jobs: unknown[] }>(stack, "/api/v1/jobs?limit=100")).body.jobs.length).toBe(before);
  });

  it("charged the customer for each call exactly as for a job", async () => {
    const all = (await api<{ jobs: Job[] }>(stack, "/api/v1/jobs?limit=100")).body.jobs;
    expect(all.map((j) => j.id).sort()).toEqual([...jobIds].sort());
    const total = all.reduce((s, j) => s + BigInt(j.price), 0n);
    const snap = await ledgerSnapshot(stack.database.url, { customer: stack.seed.customerOrgId, provider: stack.seed.providerOrgId });
    expect(snap.available).toBe(1_000_000_000n - total);
    expect(snap.transfersByKind.settle).toBe(all.length);
    expect(snap.check.ok).toBe(true);
  });
});
