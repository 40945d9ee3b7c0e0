import { createHash, randomBytes, randomUUID } from "node:crypto";
import { sql } from "@proofgrid/db/sql-client";
import { signRequest } from "@proofgrid/por";
import { startTestS3Server, type TestS3Server } from "@proofgrid/models/custom/testing/s3-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET } from "~/app/api/node/models/[id]/route";
import { db } from "~/server/db";
import { resetEnvCache } from "~/server/env";
import { modelStore, resetModelStore } from "~/server/services/models/model-store";
import { createWorker, type TestWorker } from "~/server/testing/job-fixtures";
import { createOrg, setupServiceDatabase } from "~/server/testing/service-database";

// GET /api/node/models/<sha256>: a node downloads a model it holds work on, signed like every
// node request, whole or by byte range; every other node is told there is no such model. The
// same cases twice: the model on local disk, and in an S3 store (MODEL_STORE_URL) behind a real
// S3-compatible server (s3rver on a free loopback port), served by ranged GetObjects.

setupServiceDatabase({ name: "model-download" });

// Bytes that are not all one value, so a range served from the wrong offset shows.
const BYTES = new Uint8Array(randomBytes(70_001));
const MODEL = createHash("sha256").update(BYTES).digest("hex");
// Another model, in the store, that the worker has no job of.
const OTHER_BYTES = new Uint8Array(randomBytes(1_000));
let other: string;

let customer: string;
let worker: TestWorker;
let idle: TestWorker;
let checker: TestWorker;

async function insertModel(id: string): Promise<void> {
  await db().model.create({
    data: {
      id,
      slug: `custom-${id.slice(0, 12)}`,
      name: "custom",
      kind: "tensor",
      description: "test",
      signature: {},
      baseCostMilliCu: 10,
      builtIn: false,
    },
  });
}

async function insertJob(opts: { modelId: string; nodeId: string | null; state: string; leaseMs?: number }): Promise<string> {
  const id = randomUUID();
  const lease = opts.leaseMs === undefined ? null : new Date(Date.now() + opts.leaseMs);
  await sql().$executeRaw`
    INSERT INTO jobs (id, org_id, model_id, cost_milli_cu, price, input_hash, input_bytes, state, node_id, lease_expires_at, assigned_at)
    VALUES (${id}::uuid, ${customer}::uuid, ${opts.modelId}, 10, 1, 'h', 1, ${opts.state}::"JobState", ${opts.nodeId}::uuid, ${lease},
            ${opts.nodeId === null ? null : new Date()})`;
  return id;
}

let s3: TestS3Server;

beforeAll(async () => {
  s3 = await startTestS3Server();
  other = createHash("sha256").update(OTHER_BYTES).digest("hex");
  await insertModel(MODEL);
  await insertModel(other);
  customer = await createOrg("customer", "customer");
  const provider = await createOrg("provider", "provider");
  worker = await createWorker({ orgId: provider, models: [MODEL, other] });
  idle = await createWorker({ orgId: provider, models: [MODEL, other] });
  checker = await createWorker({ orgId: await createOrg("checker", "provider"), models: [MODEL] });
  await insertJob({ modelId: MODEL, nodeId: worker.identity.id, state: "assigned", leaseMs: 60_000 });
  // The idle worker once ran the model, and ran another's lapsed lease: neither is work it holds.
  await insertJob({ modelId: MODEL, nodeId: idle.identity.id, state: "succeeded" });
  await insertJob({ modelId: MODEL, nodeId: idle.identity.id, state: "running", leaseMs: -1_000 });
});

/** A GET of the model's path signed by `node` (or by `signer`'s key, to forge one), with optional headers. */
async function download(node: TestWorker, modelId: string, opts: { range?: string; signer?: TestWorker; unsigned?: boolean } = {}) {
  const path = `/api/node/models/${modelId}`;
  const signed = opts.unsigned
    ? {}
    : signRequest({ nodeId: node.identity.id, privateKey: (opts.signer ?? node).privateKey, method: "GET", path });
  const headers: Record<string, string> = { ...signed };
  if (opts.range) headers.range = opts.range;
  const res = await GET(new Request(`http://127.0.0.1${path}`, { method: "GET", headers }), { params: Promise.resolve({ id: modelId }) });
  return { status: res.status, headers: res.headers, bytes: new Uint8Array(await res.arrayBuffer()) };
}

afterAll(async () => {
  resetModelStore();
  await s3?.close();
});

/** Points the process at one store (S3 by MODEL_STORE_URL, else local disk) and puts both models in it. */
async function useStore(kind: "local" | "s3"): Promise<void> {
  if (kind === "s3") process.env.MODEL_STORE_URL = s3.storeUrl("node-download");
  else delete process.env.MODEL_STORE_URL;
  resetEnvCache();
  resetModelStore();
  // The local store lives under the file's fresh PROOFGRID_DATA_DIR.
  expect(await modelStore().put(MODEL, BYTES)).toEqual({ id: MODEL, created: true });
  expect((await modelStore().put(other, OTHER_BYTES)).id).toBe(other);
}

describe.each(["local", "s3"] as const)("GET /api/node/models/[id] from the %s store", (kind) => {
  beforeAll(async () => {
    await useStore(kind);
    return () => {
      delete process.env.MODEL_STORE_URL;
      resetEnvCache();
    };
  });

  it("takes the model from the configured store", () => {
    expect(modelStore().location).toMatch(kind === "s3" ? /^s3:\/\/.*\/node-download at http:\/\/127\.0\.0\.1:/ : /\/models$/);
  });

  it("serves a worker the whole model of a job assigned to it, then any range of it", async () => {
    const full = await download(worker, MODEL);
    expect(full.status).toBe(200);
    expect(full.headers.get("content-length")).toBe(String(BYTES.byteLength));
    expect(full.headers.get("accept-ranges")).toBe("bytes");
    expect(full.headers.get("etag")).toBe(`"${MODEL}"`);
    expect(createHash("sha256").update(full.bytes).digest("hex")).toBe(MODEL);

    const tail = await download(worker, MODEL, { range: "bytes=65536-" });
    expect(tail.status).toBe(206);
    expect(tail.headers.get("content-range")).toBe(`bytes 65536-70000/${BYTES.byteLength}`);
    expect(tail.headers.get("content-length")).toBe(String(BYTES.byteLength - 65_536));
    expect(tail.bytes).toEqual(BYTES.subarray(65_536));

    const middle = await download(worker, MODEL, { range: "bytes=10-19" });
    expect(middle.status).toBe(206);
    expect(middle.headers.get("content-range")).toBe(`bytes 10-19/${BYTES.byteLength}`);
    expect(middle.bytes).toEqual(BYTES.subarray(10, 20));

    // A last byte past the end is clipped to it.
    const clipped = await download(worker, MODEL, { range: "bytes=70000-99999999" });
    expect(clipped.status).toBe(206);
    expect(clipped.bytes).toEqual(BYTES.subarray(70_000));
  });

  it("refuses a range it cannot serve with 416 and the model's size", async () => {
    for (const range of ["bytes=70001-", "bytes=20-10", "bytes=0-1,5-6", "items=0-1", "bytes=-0"]) {
      const res = await download(worker, MODEL, { range });
      expect(res.status, range).toBe(416);
      expect(res.headers.get("content-range"), range).toBe(`bytes */${BYTES.byteLength}`);
      const body = JSON.parse(new TextDecoder().decode(res.bytes)) as { error: { code: string } };
      expect(body.error.code).toBe("RANGE_NOT_SATISFIABLE");
    }
  });

  it("answers 404 to a node without a live job of the model, and for a model it holds no work on", async () => {
    expect((await download(idle, MODEL)).status).toBe(404);
    // The worker's job is of MODEL, not of the other model, though the store has both.
    expect((await download(worker, other)).status).toBe(404);
    // A hash that is no model at all reads the same as one the node may not have.
    expect((await download(worker, randomBytes(32).toString("hex"))).status).toBe(404);
    expect((await download(worker, "not-a-hash")).status).toBe(404);
  });

  it("serves a checker the model of a check it has leased, and stops when the lease lapses", async () => {
    expect((await download(checker, MODEL)).status).toBe(404);
    const check = randomUUID();
    await sql().$executeRaw`
      INSERT INTO checks (id, kind, status, subject_node_id, subject_org_id, model_id, epoch, checker_node_id, lease_expires_at)
      VALUES (${check}::uuid, 'reexecution', 'leased', ${worker.identity.id}::uuid, ${worker.identity.orgId}::uuid, ${MODEL}, 1,
              ${checker.identity.id}::uuid, now() + interval '1 minute')`;
    const res = await download(checker, MODEL, { range: "bytes=0-99" });
    expect(res.status).toBe(206);
    expect(res.bytes).toEqual(BYTES.subarray(0, 100));
    await sql().$executeRaw`UPDATE checks SET status = 'done' WHERE id = ${check}::uuid`;
    expect((await download(checker, MODEL)).status).toBe(404);
  });

  it("answers 401 to an unsigned request and to one signed with another node's key", async () => {
    expect((await download(worker, MODEL, { unsigned: true })).status).toBe(401);
    expect((await download(worker, MODEL, { signer: idle })).status).toBe(401);
    // A signature is for one path: signed for the other model, it does not fetch this one.
    const headers = signRequest({
      nodeId: worker.identity.id,
      privateKey: worker.privateKey,
      method: "GET",
      path: `/api/node/models/${other}`,
    });
    const path = `/api/node/models/${MODEL}`;
    const res = await GET(new Request(`http://127.0.0.1${path}`, { headers }), { params: Promise.resolve({ id: MODEL }) });
    expect(res.status).toBe(401);
  });
});
