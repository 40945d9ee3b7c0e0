import { readFileSync } from "node:fs";
import { join } from "node:path";
import { signRequest } from "@proofgrid/por";
import { createPrismaClient } from "@proofgrid/db/client";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, type Stack, startStack } from "../support/stack.ts";

let stack: Stack;
let prisma: ReturnType<typeof createPrismaClient>;
let otherKey: string;
let otherJobId: string;
let brokeKey: string;
let nodeIdentity: { nodeId: string; privateKey: string };

/** Everything a refused request must leave untouched. */
async function state() {
  const [jobs, transfers, entries, accounts] = await Promise.all([
    prisma.job.count(),
    prisma.ledgerTransfer.count(),
    prisma.ledgerEntry.count(),
    prisma.ledgerAccount.findMany({ select: { code: true, balance: true }, orderBy: { code: "asc" } }),
  ]);
  return { jobs, transfers, entries, accounts: accounts.map((a) => `${a.code}=${a.balance}`) };
}

async function expectRefused(status: number, call: () => Promise<{ status: number; body: unknown }>, message?: RegExp) {
  const before = await state();
  const res = await call();
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  const err = (res.body as { error?: { message?: string; code?: string } }).error;
  expect(err?.message, "a clear error message").toBeTruthy();
  if (message) expect(err?.message).toMatch(message);
  expect(await state()).toEqual(before);
}

beforeAll(async () => {
  stack = await startStack();
  prisma = createPrismaClient(stack.database.url, { maxConnections: 2 });
  // Registered but not started: no job changes state under the "changes nothing" checks.
  const w = await stack.addWorker("w1", {}, { start: false });
  nodeIdentity = JSON.parse(readFileSync(join(w.nodeDir, "node.json"), "utf8"));

  const { createApiKey } = await import("../../apps/web/src/server/auth/api-keys.ts");
  const { grantCredits } = await import("../../apps/web/src/server/services/billing/grant-credits.ts");
  const other = await prisma.organization.create({ data: { slug: "other-co", name: "Other Co" }, select: { id: true } });
  await grantCredits({ orgId: other.id, amount: 10_000_000n, idempotencyKey: "test:other" });
  otherKey = (await createApiKey({ orgId: other.id, name: "k", scopes: ["jobs:read", "jobs:write"] })).key;
  const broke = await prisma.organization.create({ data: { slug: "broke-co", name: "Broke Co" }, select: { id: true } });
  brokeKey = (await createApiKey({ orgId: broke.id, name: "k", scopes: ["jobs:read", "jobs:write"] })).key;
  const job = await api<{ id: string }>(stack, "/api/v1/jobs", {
    key: otherKey,
    body: { model: "encoder-synthetic-minilm", input: { text: "private" } },
  });
  expect(job.status).toBe(201);
  otherJobId = job.body.id;
});
afterAll(async () => {
  await prisma?.$disconnect();
  await stack?.stop();
});

const encoderJob = { model: "encoder-synthetic-minilm", input: { text: "hi" } };

describe("customer API: bad input gets a clear 4xx and changes nothing", () => {
  it("missing, malformed, unknown and revoked API keys are 401", async () => {
    await expectRefused(401, () => api(stack, "/api/v1/jobs", { key: null, body: encoderJob }), /missing API key/);
    await expectRefused(401, () => api(stack, "/api/v1/jobs", { key: "not-a-key", body: encoderJob }), /invalid API key/);
    const forged = `pg_AAAAAAAAAAAA_${"x".repeat(43)}`;
    await expectRefused(401, () => api(stack, "/api/v1/jobs", { key: forged, body: encoderJob }), /invalid API key/);

    const { createApiKey, revokeApiKey } = await import("../../apps/web/src/server/auth/api-keys.ts");
    const k = await createApiKey({ orgId: stack.seed.customerOrgId, name: "short-lived", scopes: ["jobs:write"] });
    expect((await api(stack, "/api/v1/jobs", { key: k.key, body: encoderJob })).status).toBe(201);
    await revokeApiKey({ orgId: stack.seed.customerOrgId, keyId: k.id });
    await expectRefused(401, () => api(stack, "/api/v1/jobs", { key: k.key, body: encoderJob }), /revoked/);
  });

  it("a key without the scope is 403", async () => {
    const { createApiKey } = await import("../../apps/web/src/server/auth/api-keys.ts");
    const k = await createApiKey({ orgId: stack.seed.customerOrgId, name: "read-only", scopes: ["jobs:read"] });
    await expectRefused(403, () => api(stack, "/api/v1/jobs", { key: k.key, body: encoderJob }), /jobs:write/);
  });

  it("another organisation's job id is 404, to read and to cancel", async () => {
    await expectRefused(404, () => api(stack, `/api/v1/jobs/${otherJobId}`));
    await expectRefused(404, () => api(stack, `/api/v1/jobs/${otherJobId}`, { method: "DELETE" }));
    expect((await api(stack, `/api/v1/jobs/${otherJobId}`, { key: otherKey })).status).toBe(200);
    const list = await api<{ jobs: { id: string }[] }>(stack, "/api/v1/jobs");
    expect(list.body.jobs.map((j) => j.id)).not.toContain(otherJobId);
  });

  it("an unknown model is 404", async () => {
    await expectRefused(404, () => api(stack, "/api/v1/jobs", { body: { model: "gpt-17", input: {} } }), /unknown model/);
  });

  it("malformed input is 400", async () => {
    await expectRefused(400, () => api(stack, "/api/v1/jobs", { body: { model: "ocr-ppocr-v4", input: { image: "%%%not base64%%%" } } }));
    await expectRefused(400, () =>
      api(stack, "/api/v1/jobs", { body: { model: "ocr-ppocr-v4", input: { image: Buffer.from("not an image").toString("base64") } } }),
    );
    await expectRefused(400, () => api(stack, "/api/v1/jobs", { body: { model: "encoder-synthetic-minilm", input: { text: 42 } } }));
    await expectRefused(400, () => api(stack, "/api/v1/jobs", { body: { input: { text: "no model" } } }));
    await expectRefused(400, async () => {
      const res = await fetch(`${stack.url}/api/v1/jobs`, {
        method: "POST",
        headers: { authorization: `Bearer ${stack.apiKey}`, "content-type": "application/json" },
        body: "{not json",
      });
      return { status: res.status, body: await res.json() };
    });
  });

  it("oversized input is 413", async () => {
    await expectRefused(413, () =>
      api(stack, "/api/v1/jobs", { body: { model: "encoder-synthetic-minilm", input: { text: "x".repeat(17 * 1024 * 1024) } } }),
    );
    await expectRefused(413, () =>
      api(stack, "/api/v1/jobs", {
        body: { model: "encoder-synthetic-minilm", input: { texts: Array.from({ length: 1000 }, () => "a") } },
      }),
    );
    // An image over 4096 px a side is scaled to fit (issue 16); one over the 64 MP the
    // conversion decodes is refused before any pixel is decoded.
    const huge = await sharp({ create: { width: 9000, height: 8000, channels: 3, background: { r: 255, g: 255, b: 255 } } })
      .png()
      .toBuffer();
    await expectRefused(
      413,
      () => api(stack, "/api/v1/jobs", { body: { model: "ocr-ppocr-v4", input: { image: huge.toString("base64") } } }),
      /9000×8000 px, at most 64000000 pixels/,
    );
  });

  it("insufficient credits is 402", async () => {
    await expectRefused(402, () => api(stack, "/api/v1/jobs", { key: brokeKey, body: encoderJob }), /insufficient credits/);
  });
});

describe("node protocol: unsigned, replayed, stale or altered requests are 401", () => {
  const path = "/api/node/heartbeat";
  const body = Buffer.from(JSON.stringify({ leases: [] }));
  const post = (headers: Record<string, string>, b: Buffer = body) =>
    fetch(`${stack.url}${path}`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: b }).then(
      async (r) => ({
        status: r.status,
        body: (await r.json()) as unknown,
      }),
    );
  const signed = (opts: { now?: number; b?: Buffer } = {}) =>
    signRequest({
      nodeId: nodeIdentity.nodeId,
      privateKey: nodeIdentity.privateKey,
      method: "POST",
      path,
      body: opts.b ?? body,
      now: opts.now,
    });

  it("accepts a correctly signed request once", async () => {
    expect((await post(signed())).status).toBe(200);
  });
  it("refuses an unsigned request", async () => {
    await expectRefused(401, () => post({}), /unsigned/);
  });
  it("refuses a replayed request", async () => {
    const h = signed();
    expect((await post(h)).status).toBe(200);
    await expectRefused(401, () => post(h), /replay/);
  });
  it("refuses a request signed more than 5 minutes ago", async () => {
    await expectRefused(401, () => post(signed({ now: Date.now() - 6 * 60_000 })), /window/);
  });
  it("refuses a request whose body was altered after signing", async () => {
    const h = signed();
    await expectRefused(401, () => post(h, Buffer.from(JSON.stringify({ leases: [{ jobId: otherJobId, attempt: 1 }] }))), /signature/);
  });
  it("refuses a result for a job the node never leased", async () => {
    const b = Buffer.from(JSON.stringify({ jobId: otherJobId, attempt: 1, kind: "error", retryable: true, error: "x" }));
    const h = signRequest({
      nodeId: nodeIdentity.nodeId,
      privateKey: nodeIdentity.privateKey,
      method: "POST",
      path: "/api/node/fail",
      body: b,
    });
    const before = await state();
    const res = await fetch(`${stack.url}/api/node/fail`, {
      method: "POST",
      headers: { ...h, "content-type": "application/json" },
      body: b,
    });
    expect([404, 409]).toContain(res.status);
    expect(await state()).toEqual(before);
  });
});

describe("Proof of Render: bad requests get a clear 4xx and change nothing", () => {
  const nodePost = (path: string, payload: unknown) => {
    const b = Buffer.from(JSON.stringify(payload));
    const h = signRequest({ nodeId: nodeIdentity.nodeId, privateKey: nodeIdentity.privateKey, method: "POST", path, body: b });
    return fetch(`${stack.url}${path}`, { method: "POST", headers: { ...h, "content-type": "application/json" }, body: b }).then(
      async (r) => ({
        status: r.status,
        body: (await r.json()) as unknown,
      }),
    );
  };

  it("a worker's key cannot lease checks (403)", async () => {
    await expectRefused(403, () => nodePost("/api/node/checks/lease", { waitMs: 0 }), /checker/);
  });
  it("a check report for a check the node never leased is refused", async () => {
    const report = {
      checkId: otherJobId,
      attempt: 1,
      items: [{ ref: otherJobId, match: true, reason: "ok", metrics: {}, output: {}, outputHash: "0".repeat(64), inferenceMs: 1 }],
      signature: "x".repeat(88),
    };
    const before = await state();
    const res = await nodePost("/api/node/checks/report", report);
    expect([400, 404, 409]).toContain(res.status);
    expect(await state()).toEqual(before);
  });
  it("a checker cannot register without a licence for its provider (403)", async () => {
    const { demoRegistrationToken } = await import("../../apps/web/src/server/services/seed/seed-demo.ts");
    const token = await demoRegistrationToken(stack.seed.providerOrgId, stack.url, "checker");
    const { generateNodeKeyPair, sign } = await import("@proofgrid/por");
    const keys = generateNodeKeyPair();
    const models = (await prisma.model.findMany({ select: { id: true } })).map((m) => m.id);
    const nodes = await prisma.node.count();
    const res = await fetch(`${stack.url}/api/node/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        token,
        publicKey: keys.publicKey,
        proof: sign(keys.privateKey, `proofgrid-register-v1:${token}`),
        name: "c",
        region: "local",
        models,
        claimedCuPerHour: 3600,
      }),
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/licence/);
    expect(await prisma.node.count()).toBe(nodes);
  });
  it("stakes: malformed amounts are 400, another provider's node is 404, more than the balance is 402", async () => {
    const { createApiKey } = await import("../../apps/web/src/server/auth/api-keys.ts");
    const providerKey = (await createApiKey({ orgId: stack.seed.providerOrgId, name: "p", scopes: ["nodes:read", "nodes:write"] })).key;
    const stake = (nodeId: string, amount: unknown, key = providerKey) =>
      api(stack, `/api/v1/nodes/${nodeId}/stake`, { key, body: { amount, idempotencyKey: "t1" } });
    await expectRefused(400, () => stake(nodeIdentity.nodeId, "-5"));
    await expectRefused(400, () => stake(nodeIdentity.nodeId, 5));
    await expectRefused(400, () => stake(nodeIdentity.nodeId, "1e9"));
    await expectRefused(402, () => stake(nodeIdentity.nodeId, "100000000000000"));
    await expectRefused(400, () => stake(nodeIdentity.nodeId, "999999999999999999"));
    const otherProvider = await prisma.organization.create({
      data: { slug: "other-provider", name: "Other Provider", kind: "provider" },
      select: { id: true },
    });
    const otherProviderKey = (await createApiKey({ orgId: otherProvider.id, name: "p", scopes: ["nodes:write"] })).key;
    await expectRefused(404, () => stake(nodeIdentity.nodeId, "1000", otherProviderKey));
    await expectRefused(403, () => stake(nodeIdentity.nodeId, "1000", otherKey));
  });
  it("a free re-run is only for a job proven wrong (409), and only your own (404)", async () => {
    await expectRefused(
      409,
      () => api(stack, `/api/v1/jobs/${otherJobId}/rerun`, { key: otherKey, method: "POST", body: {} }),
      /proven wrong/,
    );
    await expectRefused(404, () => api(stack, `/api/v1/jobs/${otherJobId}/rerun`, { method: "POST", body: {} }));
    await expectRefused(404, () => api(stack, "/api/v1/jobs/not-a-uuid/rerun", { method: "POST", body: {} }));
  });
  it("the public epoch statistics refuse a bad limit (400)", async () => {
    await expectRefused(400, () => api(stack, "/api/v1/verification/epochs?limit=100000", { key: null }));
  });
});
