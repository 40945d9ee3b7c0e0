import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ledgerSnapshot } from "../support/ledger.ts";
import { api, type Stack, startStack } from "../support/stack.ts";

// The official `openai` client, unmodified: only baseURL and apiKey are set.

interface Job {
  id: string;
  state: string;
  price: string;
  model: string;
  output?: { dim: number; vectors: number[][] };
}

let stack: Stack;
let client: OpenAI;

beforeAll(async () => {
  stack = await startStack({ leaseMs: 10_000 });
  await stack.addWorker("w1");
  client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: stack.apiKey, maxRetries: 0, timeout: 90_000 });
});
afterAll(async () => {
  await stack?.stop();
});

async function nativeEmbedding(text: string): Promise<Job> {
  const submitted = await api<Job>(stack, "/api/v1/jobs", { body: { model: "encoder-synthetic-minilm", input: { text } } });
  expect(submitted.status, JSON.stringify(submitted.body)).toBe(201);
  const done = await api<Job>(stack, `/api/v1/jobs/${submitted.body.id}?wait=60000`);
  expect(done.body.state, JSON.stringify(done.body)).toBe("succeeded");
  return done.body;
}

function closeTo(a: number[], b: number[]) {
  expect(a).toHaveLength(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs((a[i] ?? 0) - (b[i] ?? 0))).toBeLessThan(1e-5);
}

describe("OpenAI-compatible /v1 with the official openai client", () => {
  const jobIds: string[] = [];

  it("lists the catalog's models", async () => {
    const page = await client.models.list();
    const ids = page.data.map((m) => m.id);
    expect(ids).toContain("encoder-synthetic-minilm");
    expect(ids).toContain("ocr-ppocr-v4");
  });

  it("embeds a string: 384 floats, the same vector the jobs API gives, usage in tokens, the job id in a header", async () => {
    const { data: res, response } = await client.embeddings
      .create({ model: "encoder-synthetic-minilm", input: "verified inference on independent GPUs" })
      .withResponse();
    const jobId = response.headers.get("x-proofgrid-job-id");
    expect(jobId).toBeTruthy();
    jobIds.push(jobId as string);
    expect(res.object).toBe("list");
    expect(res.model).toBe("encoder-synthetic-minilm");
    expect(res.data).toHaveLength(1);
    expect(res.data[0]?.index).toBe(0);
    expect(res.data[0]?.embedding).toHaveLength(384);
    expect(res.usage.prompt_tokens).toBeGreaterThan(2);
    expect(res.usage.total_tokens).toBe(res.usage.prompt_tokens);

    const native = await nativeEmbedding("verified inference on independent GPUs");
    jobIds.push(native.id);
    closeTo(res.data[0]?.embedding ?? [], native.output?.vectors[0] ?? []);

    const job = await api<Job>(stack, `/api/v1/jobs/${jobId}`);
    expect(job.body.state).toBe("succeeded");
    expect(job.body.model).toBe("encoder-synthetic-minilm");
  });

  it("embeds an array in order, and base64 decodes to the same floats", async () => {
    const input = ["first text", "a second, longer text about proofs", "third"];
    const { data: res, response } = await client.embeddings.create({ model: "encoder-synthetic-minilm", input }).withResponse();
    jobIds.push(response.headers.get("x-proofgrid-job-id") as string);
    expect(res.data.map((d) => d.index)).toEqual([0, 1, 2]);
    for (const d of res.data) expect(d.embedding).toHaveLength(384);
    const third = await nativeEmbedding("third");
    jobIds.push(third.id);
    closeTo(res.data[2]?.embedding ?? [], third.output?.vectors[0] ?? []);
    expect(res.data[0]?.embedding).not.toEqual(res.data[2]?.embedding);

    // The client asks for base64 by default when encoding_format is unset and decodes it; ask explicitly too.
    const raw = await fetch(`${stack.url}/v1/embeddings`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "encoder-synthetic-minilm", input: "third", encoding_format: "base64" }),
    });
    expect(raw.status).toBe(200);
    jobIds.push(raw.headers.get("x-proofgrid-job-id") as string);
    const body = (await raw.json()) as { data: { embedding: string }[] };
    const buf = Buffer.from(body.data[0]?.embedding ?? "", "base64");
    closeTo(Array.from(new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4)), third.output?.vectors[0] ?? []);
  });

  it("refuses bad calls with the client's error classes and OpenAI's error shape, creating no job", async () => {
    const before = (await api<{ jobs: unknown[] }>(stack, "/api/v1/jobs?limit=100")).body.jobs.length;
    const bad = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: "pg_wrong_key", maxRetries: 0 });
    await expect(bad.embeddings.create({ model: "encoder-synthetic-minilm", input: "x" })).rejects.toBeInstanceOf(
      OpenAI.AuthenticationError,
    );
    const unknown = await client.embeddings.create({ model: "no-such-model", input: "x" }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
    expect((unknown as InstanceType<typeof OpenAI.APIError>).status).toBe(404);
    const notEncoder = await client.embeddings.create({ model: "ocr-ppocr-v4", input: "x" }).catch((e: unknown) => e);
    expect(notEncoder).toBeInstanceOf(OpenAI.BadRequestError);
    expect((notEncoder as InstanceType<typeof OpenAI.APIError>).param).toBe("model");
    const empty = await client.embeddings.create({ model: "encoder-synthetic-minilm", input: [] }).catch((e: unknown) => e);
    expect(empty).toBeInstanceOf(OpenAI.BadRequestError);
    expect((empty as InstanceType<typeof OpenAI.APIError>).param).toBe("input");
    const tooLong = await client.embeddings
      .create({ model: "encoder-synthetic-minilm", input: "x".repeat(2_001) })
      .catch((e: unknown) => e);
    expect(tooLong).toBeInstanceOf(OpenAI.BadRequestError);
    const dims = await client.embeddings
      .create({ model: "encoder-synthetic-minilm", input: "x", dimensions: 128 })
      .catch((e: unknown) => e);
    expect(dims).toBeInstanceOf(OpenAI.BadRequestError);
    expect((dims as InstanceType<typeof OpenAI.APIError>).param).toBe("dimensions");
    const tooMany = await client.embeddings
      .create({ model: "encoder-synthetic-minilm", input: Array.from({ length: 33 }, () => "a") })
      .catch((e: unknown) => e);
    expect(tooMany).toBeInstanceOf(OpenAI.BadRequestError);

    const raw = await fetch(`${stack.url}/v1/embeddings`, { headers: { authorization: `Bearer ${stack.apiKey}` } });
    expect(raw.status).toBe(405);
    const err = ((await raw.json()) as { error: { message: string; type: string; param: unknown; code: string } }).error;
    expect(err.message).toMatch(/POST/);
    expect(err.type).toBe("invalid_request_error");
    expect(Object.keys(err).sort()).toEqual(["code", "message", "param", "type"]);

    expect((await api<{ jobs: unknown[] }>(stack, "/api/v1/jobs?limit=100")).body.jobs.length).toBe(before);
  });

  it("charged the customer for each call exactly as for a job", async () => {
    const all = (await api<{ jobs: Job[] }>(stack, "/api/v1/jobs?limit=100")).body.jobs;
    expect(all.map((j) => j.id).sort()).toEqual([...jobIds].sort());
    const total = all.reduce((s, j) => s + BigInt(j.price), 0n);
    expect(total).toBeGreaterThan(0n);
    const snap = await ledgerSnapshot(stack.database.url, { customer: stack.seed.customerOrgId, provider: stack.seed.providerOrgId });
    expect(snap.available).toBe(1_000_000_000n - total);
    expect(snap.transfersByKind.settle).toBe(all.length);
    expect(snap.check.ok).toBe(true);
  });
});
