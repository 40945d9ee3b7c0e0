import { createHash } from "node:crypto";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buffer } from "node:stream/consumers";
import { sql } from "@proofgrid/db/sql-client";
import { customDomainModel, externalDataModel, goodModel } from "@proofgrid/models/custom/testing/build-onnx";
import { beforeAll, describe, expect, it } from "vitest";
import { DELETE as deleteModelRoute, GET as getModelRoute } from "~/app/api/v1/models/[id]/route";
import { GET as listRoute, POST as registerRoute } from "~/app/api/v1/models/route";
import { DELETE as tusDelete, HEAD as tusHead, PATCH as tusPatch } from "~/app/api/v1/models/uploads/[id]/route";
import { POST as tusCreate } from "~/app/api/v1/models/uploads/route";
import { createApiKey } from "../../auth/api-keys.ts";
import { resetEnvCache } from "../../env.ts";
import { API_SCOPES } from "../../auth/scopes.ts";
import { createOrg, setupServiceDatabase } from "../../testing/service-database.ts";
import { modelStore } from "./model-store.ts";
import { resolveModel } from "./resolve-model.ts";

// Custom models through the API (issue 17), against real Postgres, a real tus server on the
// test's data directory and real onnxruntime in the sandbox: a resumable upload in two
// PATCHes registered as a model stored under its sha256; hostile files refused with the
// check's reason and nothing stored; uploads and private models invisible to another
// organisation; public ones visible to all; an upload over the configured size refused.

const MAX_UPLOAD = 65_536;
setupServiceDatabase({
  name: "model-uploads",
  env: { MODEL_UPLOAD_MAX_BYTES: String(MAX_UPLOAD), MODEL_SANDBOX_TIMEOUT_MS: "30000" },
});

const ORIGIN = "http://127.0.0.1";
const TUS = { "tus-resumable": "1.0.0" };
let orgA: string;
let orgB: string;
let keyA: string;
let keyB: string;
let readOnlyA: string;

beforeAll(async () => {
  orgA = await createOrg("model-owner-a", "customer", 0n);
  orgB = await createOrg("model-owner-b", "customer", 0n);
  keyA = (await createApiKey({ orgId: orgA, name: "a", scopes: [...API_SCOPES] })).key;
  keyB = (await createApiKey({ orgId: orgB, name: "b", scopes: [...API_SCOPES] })).key;
  readOnlyA = (await createApiKey({ orgId: orgA, name: "a-read", scopes: ["models:read"] })).key;
});

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const auth = (key: string) => ({ authorization: `Bearer ${key}` });
type Body = Record<string, unknown> & { error?: { code: string; message: string } };

async function create(key: string, length: number) {
  const res = await tusCreate(
    new Request(`${ORIGIN}/api/v1/models/uploads`, { method: "POST", headers: { ...auth(key), ...TUS, "upload-length": String(length) } }),
  );
  return { res, body: (await res.json()) as Body & { id?: string; location?: string } };
}

const uploadUrl = (id: string) => `${ORIGIN}/api/v1/models/uploads/${id}`;
const params = (id: string) => ({ params: Promise.resolve({ id }) });

function patch(key: string, id: string, offset: number, chunk: Uint8Array) {
  return tusPatch(
    new Request(uploadUrl(id), {
      method: "PATCH",
      headers: { ...auth(key), ...TUS, "upload-offset": String(offset), "content-type": "application/offset+octet-stream" },
      body: new Uint8Array(chunk),
    }),
  );
}

const head = (key: string, id: string) => tusHead(new Request(uploadUrl(id), { method: "HEAD", headers: { ...auth(key), ...TUS } }));

/** A whole upload in one PATCH; returns its id. */
async function upload(key: string, bytes: Uint8Array): Promise<string> {
  const { res, body } = await create(key, bytes.byteLength);
  expect(res.status, JSON.stringify(body)).toBe(201);
  const done = await patch(key, body.id as string, 0, bytes);
  expect(done.status).toBe(204);
  return body.id as string;
}

async function register(key: string, request: Record<string, unknown>) {
  const res = await registerRoute(
    new Request(`${ORIGIN}/api/v1/models`, {
      method: "POST",
      headers: { ...auth(key), "content-type": "application/json" },
      body: JSON.stringify(request),
    }),
  );
  return { status: res.status, body: (await res.json()) as Body };
}

async function registerDirect(key: string, bytes: Uint8Array, query: Record<string, string>) {
  const res = await registerRoute(
    new Request(`${ORIGIN}/api/v1/models?${new URLSearchParams(query)}`, {
      method: "POST",
      headers: { ...auth(key), "content-type": "application/octet-stream" },
      body: new Uint8Array(bytes),
    }),
  );
  return { status: res.status, body: (await res.json()) as Body };
}

async function list(key: string) {
  const res = await listRoute(new Request(`${ORIGIN}/api/v1/models`, { headers: auth(key) }));
  expect(res.status).toBe(200);
  return ((await res.json()) as { models: Body[] }).models;
}

async function getModel(key: string, id: string) {
  const res = await getModelRoute(new Request(`${ORIGIN}/api/v1/models/${id}`, { headers: auth(key) }), params(id));
  return { status: res.status, body: (await res.json()) as Body };
}

const modelRows = async (id: string) =>
  (await sql().$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM models WHERE id = ${id}`)[0]?.n;

describe("a resumable upload registered as a model", () => {
  it("takes the file in two PATCHes, resumes from HEAD's offset, and registers it under its sha256", async () => {
    const bytes = goodModel(1);
    const half = Math.floor(bytes.byteLength / 2);
    const { res, body } = await create(keyA, bytes.byteLength);
    expect(res.status).toBe(201);
    const id = body.id as string;
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(res.headers.get("location")).toBe(`/api/v1/models/uploads/${id}`);

    const first = await patch(keyA, id, 0, bytes.subarray(0, half));
    expect(first.status).toBe(204);
    expect(first.headers.get("upload-offset")).toBe(String(half));
    // The connection "dropped": the client asks where the upload stands and resumes there.
    const where = await head(keyA, id);
    expect(where.status).toBe(200);
    expect(where.headers.get("upload-offset")).toBe(String(half));
    expect(where.headers.get("upload-length")).toBe(String(bytes.byteLength));
    // A PATCH from a wrong offset changes nothing.
    expect((await patch(keyA, id, 0, bytes.subarray(0, 4))).status).toBe(409);
    // Registering before the last byte is a 409 that says how far it got, and keeps the upload.
    const early = await register(keyA, { uploadId: id, name: "relu" });
    expect(early.status).toBe(409);
    expect(early.body.error?.message).toContain(`${half} of ${bytes.byteLength} bytes`);
    const rest = await patch(keyA, id, half, bytes.subarray(half));
    expect(rest.status).toBe(204);
    expect(rest.headers.get("upload-offset")).toBe(String(bytes.byteLength));

    const { status, body: model } = await register(keyA, { uploadId: id, name: "relu", visibility: "private" });
    expect(status, JSON.stringify(model)).toBe(201);
    const sha = sha256(bytes);
    expect(model).toMatchObject({
      id: sha,
      slug: `custom-${sha.slice(0, 12)}`,
      name: "relu",
      kind: "tensor",
      signature: { format: "onnx", opset: 17, inputs: [{ name: "x", elemType: "float32", shape: [1, 4] }], outputs: [{ name: "y" }] },
      custom: { visibility: "private", ownedByYou: true, fileBytes: bytes.byteLength, deterministic: true, preprocessing: "raw" },
    });
    expect(model.baseCostMilliCu).toBeGreaterThanOrEqual(1);
    // In the store under its sha256, byte for byte; the upload is gone.
    expect(await modelStore().has(sha)).toBe(true);
    const stored = await buffer(await modelStore().read(sha));
    expect(sha256(stored)).toBe(sha);
    expect((await head(keyA, id)).status).toBe(404);
    expect((await register(keyA, { uploadId: id, name: "again" })).status).toBe(404);
  });

  it("answers the same bytes again with the organisation's model (200), and gives another organisation its own ownership", async () => {
    const bytes = goodModel(1);
    const sha = sha256(bytes);
    const again = await registerDirect(keyA, bytes, { name: "relu twice" });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: sha, name: "relu", custom: { ownedByYou: true } });

    const other = await register(keyB, { uploadId: await upload(keyB, bytes), name: "b's relu", visibility: "private" });
    expect(other.status).toBe(201);
    expect(other.body).toMatchObject({ id: sha, name: "b's relu", custom: { ownedByYou: true, visibility: "private" } });
    // One model row and one stored file for both.
    expect(await modelRows(sha)).toBe(1);
    const owners = await sql().$queryRaw<{ org_id: string }[]>`SELECT org_id FROM custom_models WHERE model_id = ${sha} ORDER BY org_id`;
    expect(owners.map((o) => o.org_id).sort()).toEqual([orgA, orgB].sort());
    // Each sees its own name.
    expect((await getModel(keyA, sha)).body.name).toBe("relu");
    expect((await getModel(keyB, sha)).body.name).toBe("b's relu");
  });

  it("takes a small file as the body of POST /api/v1/models, with the options in the query", async () => {
    const bytes = goodModel(5);
    const r = await registerDirect(keyA, bytes, { name: "direct", visibility: "private", royalty: "1500" });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toMatchObject({ id: sha256(bytes), name: "direct", custom: { royalty: "1500" } });
    for (const royalty of ["-1", "1.5", "1000000001", "abc"]) {
      const bad = await registerDirect(keyA, goodModel(6), { name: "bad royalty", royalty });
      expect(bad.status, royalty).toBe(400);
      expect(JSON.stringify(bad.body)).toMatch(/royalty/);
    }
  });
});

describe("hostile files", () => {
  const cases: [string, () => Uint8Array, RegExp][] = [
    ["a truncated file", () => goodModel(20).subarray(0, goodModel(20).byteLength - 7), /not an ONNX model/],
    ["a file that is not ONNX", () => new TextEncoder().encode("#!/bin/sh\nrm -rf / # this is not a model\n"), /not an ONNX model/],
    ["an external-data path", externalDataModel, /external data at '\.\.\/\.\.\/etc\/passwd'/],
    ["a custom operator domain", customDomainModel, /custom operator domain 'com\.evil'/],
  ];
  for (const [what, build, reason] of cases) {
    it(`refuses ${what} with the reason, stores nothing, and removes the upload`, async () => {
      const bytes = build();
      const id = await upload(keyA, bytes);
      const r = await register(keyA, { uploadId: id, name: "hostile" });
      expect(r.status, JSON.stringify(r.body)).toBe(422);
      expect(r.body.error?.code).toBe("UNPROCESSABLE");
      expect(r.body.error?.message).toMatch(reason);
      expect(await modelStore().has(sha256(bytes))).toBe(false);
      expect(await modelRows(sha256(bytes))).toBe(0);
      expect((await head(keyA, id)).status).toBe(404);
    });
  }

  it("still registers the next good upload", async () => {
    const bytes = goodModel(21);
    const r = await register(keyA, { uploadId: await upload(keyA, bytes), name: "after the hostile ones" });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(await modelStore().has(sha256(bytes))).toBe(true);
  });
});

describe("tenancy", () => {
  it("keeps an organisation's upload its own: another's HEAD, PATCH, DELETE and registration are 404s that change nothing", async () => {
    const bytes = goodModel(30);
    const { body } = await create(keyA, bytes.byteLength);
    const id = body.id as string;
    expect((await patch(keyA, id, 0, bytes.subarray(0, 10))).status).toBe(204);

    expect((await head(keyB, id)).status).toBe(404);
    const foreignPatch = await patch(keyB, id, 10, bytes.subarray(10));
    expect(foreignPatch.status).toBe(404);
    expect(((await foreignPatch.json()) as Body).error?.code).toBe("NOT_FOUND");
    const foreignDelete = await tusDelete(new Request(uploadUrl(id), { method: "DELETE", headers: { ...auth(keyB), ...TUS } }));
    expect(foreignDelete.status).toBe(404);
    expect((await register(keyB, { uploadId: id, name: "stolen" })).status).toBe(404);

    const mine = await head(keyA, id);
    expect(mine.status).toBe(200);
    expect(mine.headers.get("upload-offset")).toBe("10");
  });

  it("shows a private model to its organisation only, and a public one to everyone", async () => {
    const secret = goodModel(40);
    const shared = goodModel(41);
    const secretId = sha256(secret);
    const sharedId = sha256(shared);
    expect((await register(keyA, { uploadId: await upload(keyA, secret), name: "secret" })).status).toBe(201);
    expect((await register(keyA, { uploadId: await upload(keyA, shared), name: "shared", visibility: "public" })).status).toBe(201);

    const ofA = (await list(keyA)).map((m) => m.id);
    expect(ofA).toEqual(expect.arrayContaining([secretId, sharedId]));
    const ofB = await list(keyB);
    expect(ofB.map((m) => m.id)).not.toContain(secretId);
    expect(ofB.find((m) => m.id === sharedId)).toMatchObject({ name: "shared", custom: { visibility: "public", ownedByYou: false } });

    const hidden = await getModel(keyB, secretId);
    expect(hidden.status).toBe(404);
    const missing = await getModel(keyB, "f".repeat(64));
    expect(hidden.body.error?.message.replace(secretId, "")).toBe(missing.body.error?.message.replace("f".repeat(64), ""));
    expect((await getModel(keyB, `custom-${secretId.slice(0, 12)}`)).status).toBe(404);
    expect((await getModel(keyB, sharedId)).status).toBe(200);
    expect((await getModel(keyA, secretId)).status).toBe(200);

    // Submitting and resolving follow the same rule.
    await expect(resolveModel(secretId, { orgId: orgB })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(resolveModel(secretId)).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(resolveModel(secretId, { orgId: orgA })).resolves.toMatchObject({ id: secretId });
    await expect(resolveModel(sharedId, { orgId: orgB })).resolves.toMatchObject({ id: sharedId });

    // Another organisation cannot delete it; its owner can, and then it is gone from its list.
    const del = (key: string, id: string) =>
      deleteModelRoute(new Request(`${ORIGIN}/api/v1/models/${id}`, { method: "DELETE", headers: auth(key) }), params(id));
    expect((await del(keyB, secretId)).status).toBe(404);
    expect((await del(keyA, secretId)).status).toBe(200);
    expect((await getModel(keyA, secretId)).status).toBe(404);
  });
});

describe("limits and scopes", () => {
  it("refuses an upload over MODEL_UPLOAD_MAX_BYTES at creation, in the API's error shape", async () => {
    const { res, body } = await create(keyA, MAX_UPLOAD + 1);
    expect(res.status).toBe(413);
    expect(body.error).toMatchObject({ code: "PAYLOAD_TOO_LARGE", message: expect.stringContaining(`${MAX_UPLOAD} bytes`) });
  });

  it("holds an organisation to MODEL_UPLOADS_OPEN_PER_ORG open uploads (4), a 429 past it; others are not held back", async () => {
    const orgC = await createOrg("model-uploads-c", "customer", 0n);
    const keyC = (await createApiKey({ orgId: orgC, name: "c", scopes: [...API_SCOPES] })).key;
    const open: string[] = [];
    for (let i = 0; i < 4; i++) {
      const { res, body } = await create(keyC, 1_000);
      expect(res.status, JSON.stringify(body)).toBe(201);
      open.push(body.id as string);
    }
    const fifth = await create(keyC, 1_000);
    expect(fifth.res.status).toBe(429);
    expect(fifth.body.error).toMatchObject({ code: "RATE_LIMITED", message: expect.stringContaining("4 uploads open") });
    // Another organisation is not held back by this one's uploads.
    const other = await create(keyB, 1_000);
    expect(other.res.status).toBe(201);
    await tusDelete(new Request(uploadUrl(other.body.id as string), { method: "DELETE", headers: { ...auth(keyB), ...TUS } }));
    // Abandoning one makes room for the next.
    const gone = await tusDelete(new Request(uploadUrl(open[0] as string), { method: "DELETE", headers: { ...auth(keyC), ...TUS } }));
    expect(gone.status).toBe(204);
    expect((await create(keyC, 1_000)).res.status).toBe(201);
  });

  it("takes the first upload into an upload directory that does not exist yet (a fresh data directory)", async () => {
    const before = process.env.MODEL_UPLOAD_DIR;
    const dir = join(mkdtempSync(join(tmpdir(), "pg-uploads-")), "not", "yet");
    process.env.MODEL_UPLOAD_DIR = dir;
    resetEnvCache();
    try {
      const { res, body } = await create(keyA, 1_000);
      expect(res.status, JSON.stringify(body)).toBe(201);
      expect(existsSync(join(dir, body.id as string))).toBe(true);
      await tusDelete(new Request(uploadUrl(body.id as string), { method: "DELETE", headers: { ...auth(keyA), ...TUS } }));
    } finally {
      if (before === undefined) delete process.env.MODEL_UPLOAD_DIR;
      else process.env.MODEL_UPLOAD_DIR = before;
      resetEnvCache();
    }
  });

  it("refuses a PATCH that sends more than the declared length", async () => {
    const { body } = await create(keyA, 16);
    const res = await patch(keyA, body.id as string, 0, new Uint8Array(32));
    expect(res.status).toBe(413);
  });

  it("needs models:write to upload or register, and a key at all", async () => {
    expect((await create(readOnlyA, 10)).res.status).toBe(403);
    expect((await register(readOnlyA, { uploadId: "0".repeat(32), name: "x" })).status).toBe(403);
    const anonymous = await tusCreate(
      new Request(`${ORIGIN}/api/v1/models/uploads`, { method: "POST", headers: { ...TUS, "upload-length": "10" } }),
    );
    expect(anonymous.status).toBe(401);
  });

  it("refuses a bad registration request field by field", async () => {
    const r = await register(keyA, { uploadId: "../../etc/passwd", name: "", visibility: "everyone" });
    expect(r.status).toBe(400);
    expect(r.body.error?.message).toMatch(/uploadId/);
  });
});
