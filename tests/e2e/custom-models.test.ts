import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "@proofgrid/db/sql-client";
import { COLOUR_LABELS, colourModel, customDomainModel, externalDataModel, goodModel } from "@proofgrid/models/custom/testing/build-onnx";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { workerArgs } from "../../scripts/lib/processes.ts";
import { api, type Stack, startStack } from "../support/stack.ts";
import { waitFor } from "../support/wait.ts";

// Custom models (issue 17) through the real processes and the production build of the web
// app: a resumable tus upload sent in two pieces with a HEAD between them, registered with
// POST /api/v1/models (validated, run in the sandbox's child process, stored by sha256), and
// what another organisation may see of it. The sandbox's child script must be found from the
// built server's bundle, which only this path shows.

let stack: Stack;
let ownerKey: string;
let otherKey: string;
const TUS = { "tus-resumable": "1.0.0" };

async function raw(path: string, init: { method: string; key: string; headers?: Record<string, string>; body?: Uint8Array }) {
  const res = await fetch(`${stack.url}${path}`, {
    method: init.method,
    headers: { authorization: `Bearer ${init.key}`, ...init.headers },
    body: init.body,
  });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = { text };
  }
  return { status: res.status, headers: res.headers, body };
}

beforeAll(async () => {
  // Every job is re-executed by a checker (no planted checks): the custom job's check is certain.
  stack = await startStack({ leaseMs: 10_000, env: { POR_REEXEC_FLOOR: "1", POR_REEXEC_CAP: "1", POR_PLANTED_RATE: "0" } });
  const { createApiKey } = await import("../../apps/web/src/server/auth/api-keys.ts");
  const scopes = ["jobs:read", "jobs:write", "models:read", "models:write"] as const;
  ownerKey = (await createApiKey({ orgId: stack.seed.customerOrgId, name: "models", scopes: [...scopes] })).key;
  otherKey = (await createApiKey({ orgId: stack.seed.providerOrgId, name: "other", scopes: [...scopes] })).key;
});

afterAll(async () => {
  await stack?.stop();
});

describe("custom models through the stack", () => {
  const bytes = goodModel(17);
  const sha = createHash("sha256").update(bytes).digest("hex");
  let modelId = "";

  it("uploads in two pieces (resumed after a HEAD), registers the model and keeps it private", async () => {
    const created = await raw("/api/v1/models/uploads", {
      method: "POST",
      key: ownerKey,
      headers: { ...TUS, "upload-length": String(bytes.length) },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    const half = Math.floor(bytes.length / 2);
    const patch = (offset: number, chunk: Uint8Array) =>
      raw(`/api/v1/models/uploads/${id}`, {
        method: "PATCH",
        key: ownerKey,
        headers: { ...TUS, "upload-offset": String(offset), "content-type": "application/offset+octet-stream" },
        body: chunk,
      });
    expect((await patch(0, bytes.subarray(0, half))).status).toBe(204);
    // The client lost its place: HEAD says where to go on from.
    const head = await raw(`/api/v1/models/uploads/${id}`, { method: "HEAD", key: ownerKey, headers: TUS });
    expect(head.status).toBe(200);
    expect(head.headers.get("upload-offset")).toBe(String(half));
    // Another organisation cannot append to it.
    expect((await raw(`/api/v1/models/uploads/${id}`, { method: "HEAD", key: otherKey, headers: TUS })).status).toBe(404);
    expect((await patch(half, bytes.subarray(half))).status).toBe(204);

    const registered = await api<{ id: string; slug: string; deterministic: boolean; custom?: { visibility: string } }>(
      stack,
      "/api/v1/models",
      { key: ownerKey, body: { uploadId: id, name: "my affine model", visibility: "private" } },
    );
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    expect(registered.body.id).toBe(sha);
    modelId = registered.body.id;

    const mine = await api(stack, `/api/v1/models/${modelId}`, { key: ownerKey });
    expect(mine.status).toBe(200);
    const theirs = await api(stack, `/api/v1/models/${modelId}`, { key: otherKey });
    expect(theirs.status).toBe(404);
    const list = await api<{ models?: { id: string }[] } | { id: string }[]>(stack, "/api/v1/models", { key: otherKey });
    expect(JSON.stringify(list.body)).not.toContain(modelId);
  });

  it("refuses hostile files with the reason, stores nothing, and stays up", async () => {
    const cases: [string, Uint8Array, RegExp][] = [
      ["external data", externalDataModel(), /external/i],
      ["custom operator domain", customDomainModel(), /domain|operator/i],
      ["not ONNX", new TextEncoder().encode("#!/bin/sh\nrm -rf /\n"), /onnx|model|parse|protobuf/i],
      ["truncated", bytes.subarray(0, Math.floor(bytes.length / 3)), /onnx|model|parse|truncat|invalid/i],
    ];
    for (const [what, file, reason] of cases) {
      const res = await raw(`/api/v1/models?name=${encodeURIComponent(what)}`, {
        method: "POST",
        key: ownerKey,
        headers: { "content-type": "application/octet-stream" },
        body: file,
      });
      expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBe(422);
      expect(JSON.stringify(res.body), what).toMatch(reason);
      const stored = await api(stack, `/api/v1/models/${createHash("sha256").update(file).digest("hex")}`, { key: ownerKey });
      expect(stored.status, what).toBe(404);
    }
    // The platform is healthy, and the next good model still registers.
    expect((await api(stack, "/api/v1/models", { key: ownerKey })).status).toBe(200);
    const next = await raw("/api/v1/models?name=second", {
      method: "POST",
      key: ownerKey,
      headers: { "content-type": "application/octet-stream" },
      body: goodModel(18),
    });
    expect(next.status, JSON.stringify(next.body)).toBe(201);
  });

  it("gives another organisation its own ownership of identical bytes, and a public model is seen by all", async () => {
    const again = await raw("/api/v1/models?name=same%20bytes&visibility=public", {
      method: "POST",
      key: otherKey,
      headers: { "content-type": "application/octet-stream" },
      body: bytes,
    });
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(again.body.id).toBe(modelId);
    // Public under the other organisation's ownership: now the owner of the private copy and
    // everyone else see it.
    expect((await api(stack, `/api/v1/models/${modelId}`, { key: otherKey })).status).toBe(200);
    expect((await api(stack, `/api/v1/models/${modelId}`, { key: ownerKey })).status).toBe(200);
  });
});

describe("jobs on an uploaded model", () => {
  // y = relu(x + b) with b = [21, 0, 0, 0]: exact in float32.
  const file = goodModel(21);
  const input = { inputs: [{ name: "x", datatype: "FP32", shape: [1, 4], data: [1, -2, 3, -4] }] };

  interface Job {
    id: string;
    state: string;
    model: string;
    costMilliCu: number;
    workerId: string | null;
    output?: unknown;
    receipt?: { signature: string; platformSignature?: string } | null;
  }

  it("runs only on a worker that opted in, is re-executed by an opted-in checker, and its receipt verifies offline; tenancy and bad input are refused at submit", async () => {
    const reg = await raw("/api/v1/models?name=jobs%20model", {
      method: "POST",
      key: ownerKey,
      headers: { "content-type": "application/octet-stream" },
      body: file,
    });
    expect(reg.status, JSON.stringify(reg.body)).toBe(201);
    const slug = reg.body.slug as string;
    expect(slug).toMatch(/^custom-[0-9a-f]{12}$/);

    // A worker that did not opt in: online before the job and for all of its wait. A checker
    // that did: it re-executes the sampled job from its own verified download.
    const plain = await stack.addWorker("plain");
    const checker = await stack.addWorker("custom-checker", { ACCEPT_CUSTOM_MODELS: "1" }, { role: "checker" });

    // Another organisation's private model is the 404 of a missing one, by slug or by id.
    for (const model of [slug, reg.body.id as string]) {
      const theirs = await api<{ error?: { message?: string } }>(stack, "/api/v1/jobs", { key: otherKey, body: { model, input } });
      expect(theirs.status, JSON.stringify(theirs.body)).toBe(404);
    }
    // Input checked against the signature at submit, the tensor named.
    const bad = await api(stack, "/api/v1/jobs", {
      key: ownerKey,
      body: { model: slug, input: { inputs: [{ name: "x", datatype: "FP32", shape: [1, 3], data: [1, 2, 3] }] } },
    });
    expect(bad.status, JSON.stringify(bad.body)).toBe(400);
    expect(JSON.stringify(bad.body)).toContain("'x'");

    const submitted = await api<Job>(stack, "/api/v1/jobs", { key: ownerKey, body: { model: slug, input } });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(201);
    expect(submitted.body.model).toBe(slug);
    expect(submitted.body.costMilliCu).toBeGreaterThanOrEqual(1);
    const id = submitted.body.id;

    // Several dispatch rounds and lease polls: the plain worker is never offered it.
    await new Promise((r) => setTimeout(r, 4_000));
    const waiting = await api<Job>(stack, `/api/v1/jobs/${id}`, { key: ownerKey });
    expect(waiting.body.state).toBe("queued");

    const custom = await stack.addWorker("custom", { ACCEPT_CUSTOM_MODELS: "1" });
    const done = await api<Job>(stack, `/api/v1/jobs/${id}?wait=60000`, { key: ownerKey });
    expect(done.body.state, JSON.stringify(done.body)).toBe("succeeded");
    expect(done.body.workerId).toBe(custom.nodeId);
    expect(done.body.output).toEqual({ outputs: [{ name: "y", datatype: "FP32", shape: [1, 4], data: [22, 0, 3, 0] }] });
    expect(done.body.receipt?.platformSignature).toBeTruthy();
    expect(plain.logs.join("\n")).not.toContain(id);
    // The worker ran it from its cache: the file it downloaded and verified, under its sha256.
    expect(existsSync(join(custom.nodeDir, "models", `${reg.body.id as string}.onnx`))).toBe(true);

    // The checker re-ran it and agreed (compareCustomOutputs): the job is verified.
    const verified = await waitFor(
      `verification of ${id}`,
      async () => {
        const r = await api<Job & { verification: string }>(stack, `/api/v1/jobs/${id}`, { key: ownerKey });
        return ["verified", "refunded", "inconclusive"].includes(r.body.verification) ? r.body : null;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    expect(verified.verification, checker.logs.slice(-20).join("\n")).toBe("verified");
    const checks = await sql().$queryRaw<{ kind: string; verdict: string | null; checker: string | null }[]>`
      SELECT kind::text AS kind, verdict::text AS verdict, checker_node_id::text AS checker FROM checks WHERE job_id = ${id}::uuid`;
    expect(checks).toEqual([{ kind: "reexecution", verdict: "pass", checker: checker.nodeId }]);
    expect(existsSync(join(checker.nodeDir, "models", `${reg.body.id as string}.onnx`))).toBe(true);

    const keys = await api<{ platform: string; node: { publicKey: string } }>(stack, `/api/v1/public-keys?node=${custom.nodeId}`, {
      key: null,
    });
    expect(keys.status).toBe(200);
    const dir = mkdtempSync(join(tmpdir(), "custom-receipt-"));
    const jobFile = join(dir, "job.json");
    const inputFile = join(dir, "input.json");
    writeFileSync(jobFile, JSON.stringify(done.body));
    writeFileSync(inputFile, JSON.stringify(input));
    const verify = spawnSync(
      process.execPath,
      workerArgs([
        "verify-receipt",
        jobFile,
        "--input",
        inputFile,
        "--worker-key",
        keys.body.node.publicKey,
        "--platform-key",
        keys.body.platform,
      ]),
      { encoding: "utf8" },
    );
    expect(verify.status, verify.stderr).toBe(0);
    expect((JSON.parse(verify.stdout) as { valid: boolean }).valid).toBe(true);

    // A second job on the same model: from the cache, on the worker that has it.
    const again = await api<Job>(stack, "/api/v1/jobs", { key: ownerKey, body: { model: reg.body.id, input } });
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    const second = await api<Job>(stack, `/api/v1/jobs/${again.body.id}?wait=60000`, { key: ownerKey });
    expect(second.body.state).toBe("succeeded");
    expect(second.body.workerId).toBe(custom.nodeId);
  });

  it("pays a public model's royalty to its owner in the job's settlement, and a customer may cap it", async () => {
    const reg = await raw("/api/v1/models?name=royalty%20model&visibility=public", {
      method: "POST",
      key: ownerKey,
      headers: { "content-type": "application/octet-stream" },
      body: goodModel(23),
    });
    expect(reg.status, JSON.stringify(reg.body)).toBe(201);
    const id = reg.body.id as string;
    const patched = await api<{ custom: { royalty: string } }>(stack, `/api/v1/models/${id}`, {
      key: ownerKey,
      method: "PATCH",
      body: { royalty: "3000" },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.custom.royalty).toBe("3000");

    // A third organisation (a provider's jobs never run on its own workers), with credits,
    // sees the listing with its owner and royalty.
    const { createApiKey } = await import("../../apps/web/src/server/auth/api-keys.ts");
    const { grantCredits } = await import("../../apps/web/src/server/services/billing/grant-credits.ts");
    const [buyer] = await sql().$queryRaw<{ id: string }[]>`
      INSERT INTO organizations (id, name, slug) VALUES (gen_random_uuid(), 'Royalty Buyer', 'royalty-buyer') RETURNING id`;
    const buyerId = buyer?.id as string;
    await grantCredits({ orgId: buyerId, amount: 10_000_000n, idempotencyKey: "test:royalty-buyer" });
    const buyerKey = (await createApiKey({ orgId: buyerId, name: "buyer", scopes: ["jobs:read", "jobs:write", "models:read"] })).key;
    const seen = await api<{ custom: { royalty: string; owner: string; ownedByYou: boolean } }>(stack, `/api/v1/models/${id}`, {
      key: buyerKey,
    });
    expect(seen.body.custom).toMatchObject({ royalty: "3000", ownedByYou: false });
    expect(seen.body.custom.owner.length).toBeGreaterThan(0);

    const capped = await api(stack, "/api/v1/jobs", { key: buyerKey, body: { model: id, input, maxRoyalty: "2999" } });
    expect(capped.status, JSON.stringify(capped.body)).toBe(422);

    const earnings = `org:${stack.seed.customerOrgId}:earnings`;
    const balance = async () =>
      BigInt((await sql().$queryRaw<{ balance: bigint }[]>`SELECT balance FROM ledger_accounts WHERE code = ${earnings}`)[0]?.balance ?? 0);
    const before = await balance();
    const submitted = await api<Job & { price: string; royalty: string }>(stack, "/api/v1/jobs", {
      key: buyerKey,
      body: { model: id, input, maxRoyalty: "3000" },
    });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(201);
    expect(submitted.body.royalty).toBe("3000");
    if (!stack.workers.some((w) => w.name === "custom")) await stack.addWorker("custom", { ACCEPT_CUSTOM_MODELS: "1" });
    const done = await api<Job & { price: string; royalty: string }>(stack, `/api/v1/jobs/${submitted.body.id}?wait=60000`, {
      key: buyerKey,
    });
    expect(done.body.state, JSON.stringify(done.body)).toBe("succeeded");
    expect(done.body.output).toEqual({ outputs: [{ name: "y", datatype: "FP32", shape: [1, 4], data: [24, 0, 3, 0] }] });
    expect(BigInt(done.body.price)).toBeGreaterThan(3000n);
    // Paid whole to the owner, in the settlement's own transfer.
    expect((await balance()) - before).toBe(3000n);
    const legs = await sql().$queryRaw<{ code: string; amount: bigint }[]>`
      SELECT a.code, e.amount FROM ledger_transfers t JOIN ledger_entries e ON e.transfer_id = t.id JOIN ledger_accounts a ON a.id = e.account_id
      WHERE t.idempotency_key = ${`settle:${submitted.body.id}`}`;
    expect(BigInt(legs.find((l) => l.code === earnings)?.amount ?? 0)).toBe(3000n);
  });

  it("takes a picture for a model listed with image preprocessing, and names its class from the worker's verified output", async () => {
    const query = new URLSearchParams({
      name: "colours",
      preprocessing: "image",
      postprocessing: "labels",
      labels: JSON.stringify(COLOUR_LABELS),
      dimBounds: JSON.stringify({ batch: 1 }),
    });
    const reg = await raw(`/api/v1/models?${query}`, {
      method: "POST",
      key: ownerKey,
      headers: { "content-type": "application/octet-stream" },
      body: colourModel(),
    });
    expect(reg.status, JSON.stringify(reg.body)).toBe(201);
    const picture = await sharp({ create: { width: 120, height: 90, channels: 3, background: { r: 30, g: 210, b: 40 } } })
      .jpeg()
      .toBuffer();
    const submitted = await api<Job & { inputAdjustments?: string[] }>(stack, "/api/v1/jobs", {
      key: ownerKey,
      body: { model: reg.body.slug, input: { image: picture.toString("base64") } },
    });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(201);
    expect(submitted.body.inputAdjustments?.[0]).toMatch(/image 120×90 scaled to 8×8/);
    if (!stack.workers.some((w) => w.name === "custom")) await stack.addWorker("custom", { ACCEPT_CUSTOM_MODELS: "1" });
    const done = await api<Job & { result?: { top: { label: string; score: number }[][] } }>(
      stack,
      `/api/v1/jobs/${submitted.body.id}?wait=60000`,
      { key: ownerKey },
    );
    expect(done.body.state, JSON.stringify(done.body)).toBe("succeeded");
    expect(done.body.output).toMatchObject({ outputs: [{ name: "logits", shape: [1, 3] }] });
    expect(done.body.result?.top[0]?.[0]?.label).toBe("green");
  });
});
