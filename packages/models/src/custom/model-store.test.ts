import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { type AddressInfo, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buffer, text } from "node:stream/consumers";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LocalModelStore, ModelHashMismatchError, type ModelStore, modelIdOf } from "./model-store.ts";
import { parseModelStoreUrl } from "./model-store-url.ts";
import { S3ModelStore } from "./s3-model-store.ts";
import { S3RVER_CREDENTIALS, startTestS3Server, type TestS3Server } from "./testing/s3-server.ts";

// The same contract for both stores: local disk, and an S3 store behind a real S3-compatible
// HTTP server (s3rver on a free loopback port) that the official SDK talks to.

let s3: TestS3Server;
beforeAll(async () => {
  s3 = await startTestS3Server();
});
afterAll(async () => {
  await s3?.close();
});

let dir: string;
let store: ModelStore | undefined;
let prefixes = 0;
afterEach(() => {
  store?.close();
  store = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const STORES = {
  local: () => new LocalModelStore(join(dir, "models")),
  // Each test under its own prefix of the one bucket: the tests share no object.
  s3: () => new S3ModelStore({ ...parseModelStoreUrl(s3.storeUrl(`t${++prefixes}/models`)), cacheDir: join(dir, "cache") }),
} as const;

const files = (d: string): string[] =>
  readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(d, e.name)) : [e.name]));

describe.each(Object.keys(STORES) as (keyof typeof STORES)[])("%s model store: models stored by the sha256 of their bytes", (kind) => {
  const fresh = (): ModelStore => {
    dir = mkdtempSync(join(tmpdir(), "proofgrid-store-"));
    store = STORES[kind]();
    return store;
  };

  it("stores bytes under their sha256, once: the same bytes again are not created again, other bytes are another id", async () => {
    const store = fresh();
    const bytes = randomBytes(10_000);
    const id = modelIdOf(bytes);
    expect(await store.has(id)).toBe(false);
    expect(await store.put(id, bytes)).toEqual({ id, created: true });
    expect(await store.has(id)).toBe(true);
    expect(await store.size(id)).toBe(10_000);
    expect(await store.put(id, Uint8Array.from(bytes))).toEqual({ id, created: false });
    const other = Buffer.from(bytes);
    other[0] = (other[0] ?? 0) ^ 1;
    const b = await store.put(modelIdOf(other), other);
    expect(b).toEqual({ id: modelIdOf(other), created: true });
    expect(await buffer(await store.read(id))).toEqual(bytes);
    expect(await buffer(await store.read(b.id))).toEqual(other);
  });

  it("refuses bytes whose sha256 is not the id they are put under, and stores nothing", async () => {
    const store = fresh();
    const bytes = randomBytes(1_000);
    const claimed = modelIdOf(randomBytes(1_000));
    await expect(store.put(claimed, bytes)).rejects.toBeInstanceOf(ModelHashMismatchError);
    await expect(store.put(claimed, bytes)).rejects.toThrow(`not the model id ${claimed}`);
    expect(await store.has(claimed)).toBe(false);
    expect(await store.has(modelIdOf(bytes))).toBe(false);
  });

  it("takes the same bytes put at once by several callers, and serves them whole", async () => {
    const store = fresh();
    const bytes = randomBytes(200_000);
    const id = modelIdOf(bytes);
    const puts = await Promise.all(Array.from({ length: 5 }, () => store.put(id, bytes)));
    expect(puts.every((p) => p.id === id)).toBe(true);
    expect(puts.some((p) => p.created)).toBe(true);
    expect(await store.size(id)).toBe(200_000);
    // By hash: a deep equal of 200 kB takes seconds.
    expect(modelIdOf(await buffer(await store.read(id)))).toBe(id);
  });

  it("reads a byte range for a resumed download, and refuses ranges outside the model", async () => {
    const store = fresh();
    const bytes = Buffer.from("0123456789");
    const id = modelIdOf(bytes);
    await store.put(id, bytes);
    expect(await store.size(id)).toBe(10);
    expect(await text(await store.read(id, { start: 4 }))).toBe("456789");
    expect(await text(await store.read(id, { start: 2, end: 4 }))).toBe("234");
    expect(await text(await store.read(id, { start: 9, end: 9 }))).toBe("9");
    expect(await text(await store.read(id, { start: 0, end: 9 }))).toBe("0123456789");
    await expect(store.read(id, { start: 10 })).rejects.toThrow(RangeError);
    await expect(store.read(id, { start: 10 })).rejects.toThrow(/outside the model's/);
    await expect(store.read(id, { start: 5, end: 10 })).rejects.toThrow(/outside the model's 10 bytes/);
    await expect(store.read(id, { start: 5, end: 3 })).rejects.toThrow(/outside/);
    await expect(store.read(id, { start: -1 })).rejects.toThrow(/outside/);
  });

  it("answers a missing model with false, null and a RangeError", async () => {
    const store = fresh();
    const missing = "f".repeat(64);
    expect(await store.has(missing)).toBe(false);
    expect(await store.size(missing)).toBeNull();
    expect(await store.localFile(missing)).toBeNull();
    await expect(store.read(missing)).rejects.toThrow(new RangeError(`no model ${missing}`));
    await expect(store.read(missing, { start: 0, end: 1 })).rejects.toThrow(RangeError);
  });

  it("never lets an id name a path or key: only 64 lower-case hex characters are ids", async () => {
    const store = fresh();
    for (const bad of ["../../etc/passwd", `${"a".repeat(63)}/`, "A".repeat(64), ""]) {
      await expect(store.has(bad)).rejects.toThrow(/not a model id/);
      await expect(store.size(bad)).rejects.toThrow(/not a model id/);
      await expect(store.read(bad)).rejects.toThrow(/not a model id/);
      await expect(store.localFile(bad)).rejects.toThrow(/not a model id/);
      await expect(store.put(bad, new Uint8Array(1))).rejects.toThrow(/not a model id/);
    }
  });

  it("gives the platform's re-execution a local file of the model's bytes", async () => {
    const store = fresh();
    const bytes = randomBytes(5_000);
    const id = modelIdOf(bytes);
    await store.put(id, bytes);
    const path = await store.localFile(id);
    expect(path).not.toBeNull();
    expect(readFileSync(path ?? "")).toEqual(bytes);
    expect(await store.localFile(id)).toBe(path);
  });
});

describe("LocalModelStore on disk", () => {
  it("keeps one file per model, <id[0..2]>/<id>.onnx, and no temporary file", async () => {
    dir = mkdtempSync(join(tmpdir(), "proofgrid-store-"));
    const local = new LocalModelStore(dir);
    const a = randomBytes(100);
    const b = randomBytes(100);
    await local.put(modelIdOf(a), a);
    await local.put(modelIdOf(a), a);
    await local.put(modelIdOf(b), b);
    expect(files(dir).sort()).toEqual([`${modelIdOf(a)}.onnx`, `${modelIdOf(b)}.onnx`].sort());
    expect(readdirSync(dir).sort()).toEqual([modelIdOf(a).slice(0, 2), modelIdOf(b).slice(0, 2)].sort());
  });
});

describe("S3ModelStore against s3rver", () => {
  const client = () => new S3Client({ endpoint: s3.endpoint, region: "us-east-1", forcePathStyle: true, credentials: S3RVER_CREDENTIALS });

  it("keeps a model under <prefix>/<id[0..2]>/<id>.onnx, so several platforms can share a bucket", async () => {
    dir = mkdtempSync(join(tmpdir(), "proofgrid-store-"));
    const bytes = randomBytes(300);
    const id = modelIdOf(bytes);
    const a = new S3ModelStore({ ...parseModelStoreUrl(s3.storeUrl("tenant-a")), cacheDir: join(dir, "a") });
    const b = new S3ModelStore({ ...parseModelStoreUrl(s3.storeUrl("tenant-b")), cacheDir: join(dir, "b") });
    try {
      await a.put(id, bytes);
      expect(await a.has(id)).toBe(true);
      expect(await b.has(id)).toBe(false);
      expect(a.location).toBe(`s3://${s3.bucket}/tenant-a at ${s3.endpoint}`);
      expect(a.location).not.toContain(S3RVER_CREDENTIALS.secretAccessKey);
      const direct = client();
      try {
        const got = await direct.send(new GetObjectCommand({ Bucket: s3.bucket, Key: `tenant-a/${id.slice(0, 2)}/${id}.onnx` }));
        expect(Buffer.from((await got.Body?.transformToByteArray()) ?? [])).toEqual(bytes);
      } finally {
        direct.destroy();
      }
    } finally {
      a.close();
      b.close();
    }
  });

  it("refuses to hand re-execution an object whose bytes are not its id, and leaves no file", async () => {
    dir = mkdtempSync(join(tmpdir(), "proofgrid-store-"));
    const cacheDir = join(dir, "cache");
    const s = new S3ModelStore({ ...parseModelStoreUrl(s3.storeUrl("tampered")), cacheDir });
    store = s;
    const id = modelIdOf(randomBytes(64));
    // Other bytes under the id's key, written past the store (a tampered or damaged bucket).
    const direct = client();
    try {
      await direct.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `tampered/${id.slice(0, 2)}/${id}.onnx`, Body: randomBytes(64) }));
    } finally {
      direct.destroy();
    }
    await expect(s.localFile(id)).rejects.toBeInstanceOf(ModelHashMismatchError);
    expect(files(cacheDir)).toEqual([]);
  });

  it("fails a request to a store it cannot reach, or that never answers, within its idle bound", async () => {
    dir = mkdtempSync(join(tmpdir(), "proofgrid-store-"));
    const at = (endpoint: string) =>
      new S3ModelStore({
        ...parseModelStoreUrl(`s3://k:s@bucket?endpoint=${endpoint}&region=us-east-1&forcePathStyle=true`),
        cacheDir: join(dir, "cache"),
        idleTimeoutMs: 1_000,
      });
    const refused = at("http://127.0.0.1:1");
    try {
      await expect(refused.has("f".repeat(64))).rejects.toThrow();
    } finally {
      refused.close();
    }
    // Takes the connection and says nothing.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const mute = at(`http://127.0.0.1:${(silent.address() as AddressInfo).port}`);
    try {
      const t0 = Date.now();
      await expect(mute.has("f".repeat(64))).rejects.toThrow(/timed out/);
      // Three attempts of about a second each, with the SDK's backoff between them.
      expect(Date.now() - t0).toBeLessThan(15_000);
    } finally {
      mute.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
