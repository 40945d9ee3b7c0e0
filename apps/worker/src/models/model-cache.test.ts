import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateNodeKeyPair, verifySignedRequest } from "@proofgrid/por";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { NodeClient } from "../protocol/node-client.ts";
import { type FetchRange, ModelCache, ModelHashMismatchError } from "./model-cache.ts";

// The cache against a real HTTP server that checks each request's node signature and serves
// real bytes by Range, and can cut a download after K bytes, corrupt one, or ignore the Range.
// The downloads go through NodeClient.downloadModel, the function the daemon hands the cache.

const NODE_ID = "6d1f7f0e-4a55-4c1f-9f53-1f2b0c7d9a11";
const keys = generateNodeKeyPair();

function model(size: number): { id: string; bytes: Buffer } {
  const bytes = randomBytes(size);
  return { id: createHash("sha256").update(bytes).digest("hex"), bytes };
}

/** What the server saw: each request's model, the offset its Range asked for, and the bytes it sent. */
interface Hit {
  id: string;
  from: number;
  sent: number;
  status: number;
}

const files = new Map<string, Buffer>();
const hits: Hit[] = [];
/** Per model: how the next request is answered (consumed once), else served faithfully. */
const next = new Map<string, { cutAfter?: number; corrupt?: boolean; ignoreRange?: boolean }>();
let server: Server;
let client: NodeClient;
let dir: string;

async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const verdict = await verifySignedRequest({
    headers: req.headers,
    method: req.method ?? "",
    path: req.url ?? "",
    publicKeyFor: (id) => (id === NODE_ID ? keys.publicKey : null),
  });
  if (!verdict.ok) {
    res.writeHead(401).end(JSON.stringify({ error: { code: "UNAUTHORIZED", message: verdict.reason } }));
    return;
  }
  const id = /^\/api\/node\/models\/([0-9a-f]{64})$/.exec(req.url ?? "")?.[1] ?? "";
  const file = files.get(id);
  if (!file) {
    res.writeHead(404).end(JSON.stringify({ error: { code: "NOT_FOUND", message: "no such model for this node" } }));
    return;
  }
  const how = next.get(id) ?? {};
  next.delete(id);
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
  const from = range && !how.ignoreRange ? Number(range[1]) : 0;
  const hit: Hit = { id, from, sent: 0, status: 0 };
  hits.push(hit);
  if (from >= file.length) {
    hit.status = 416;
    res.writeHead(416, { "content-range": `bytes */${file.length}` }).end();
    return;
  }
  const body = Buffer.from(file.subarray(from));
  if (how.corrupt) body.writeUInt8(body.readUInt8(body.length >> 1) ^ 0xff, body.length >> 1);
  hit.status = from > 0 ? 206 : 200;
  res.writeHead(hit.status, {
    "content-length": String(body.length),
    ...(from > 0 ? { "content-range": `bytes ${from}-${file.length - 1}/${file.length}` } : {}),
  });
  const end = how.cutAfter === undefined ? body.length : Math.min(how.cutAfter, body.length);
  for (let at = 0; at < end; at += 8_192) {
    const chunk = body.subarray(at, Math.min(at + 8_192, end));
    hit.sent += chunk.length;
    if (!res.write(chunk)) await new Promise((r) => res.once("drain", r));
  }
  if (how.cutAfter === undefined) {
    res.end();
    return;
  }
  // A killed connection: what was written arrives (given a moment to be read: a client's
  // fetch drops what it had buffered but not yet handed on when the socket errors), the rest
  // never does.
  await new Promise((r) => setTimeout(r, 150));
  res.socket?.end();
}

beforeAll(async () => {
  server = createServer((req, res) => void serve(req, res));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  client = new NodeClient({ nodeId: NODE_ID, url: `http://127.0.0.1:${port}`, region: "local", name: "test", ...keys }, 5_000);
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "model-cache-"));
  hits.length = 0;
  next.clear();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const fetchRange: FetchRange = (id, from, signal) => client.downloadModel(id, from, { signal });

function cache(maxBytes = 1_000_000, attempts = 1): ModelCache {
  return new ModelCache({ dir, maxBytes, fetchRange, attempts });
}

function add(m: { id: string; bytes: Buffer }): void {
  files.set(m.id, m.bytes);
}

describe("ModelCache downloads", () => {
  it("downloads a model by hash, verifies it and hands out its path; a second ensure is a hit", async () => {
    const a = model(50_000);
    add(a);
    const c = cache();
    const path = await c.ensure(a.id);
    expect(path).toBe(join(dir, `${a.id}.onnx`));
    expect(readFileSync(path).equals(a.bytes)).toBe(true);
    expect(c.has(a.id)).toBe(true);
    expect(await c.ensure(a.id)).toBe(path);
    expect(hits).toEqual([{ id: a.id, from: 0, sent: 50_000, status: 200 }]);
    expect(existsSync(c.partialPath(a.id))).toBe(false);
  });

  it("resumes a download cut mid-way from the partial's length, after a restart, fetching the file about once", async () => {
    const a = model(300_000);
    add(a);
    next.set(a.id, { cutAfter: 120_000 });
    const first = cache();
    await expect(first.ensure(a.id)).rejects.toThrow();
    expect(first.has(a.id)).toBe(false);
    expect(existsSync(first.pathOf(a.id))).toBe(false);
    const kept = statSync(first.partialPath(a.id)).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(120_000);

    // The worker restarts: a new cache on the same directory finds the partial and resumes.
    const second = cache();
    const path = await second.ensure(a.id);
    expect(readFileSync(path).equals(a.bytes)).toBe(true);
    expect(hits.map((h) => [h.from, h.status])).toEqual([
      [0, 200],
      [kept, 206],
    ]);
    const fetched = kept + (hits[1]?.sent ?? 0);
    expect(fetched).toBe(a.bytes.length);
    expect(hits.reduce((n, h) => n + h.sent, 0)).toBeLessThan(a.bytes.length + 120_000);
  });

  it("resumes within one ensure when the connection breaks, up to its attempts", async () => {
    const a = model(200_000);
    add(a);
    next.set(a.id, { cutAfter: 50_000 });
    const path = await cache(1_000_000, 3).ensure(a.id);
    expect(readFileSync(path).equals(a.bytes)).toBe(true);
    expect(hits).toHaveLength(2);
    expect(hits[1]?.from).toBeGreaterThan(0);
    expect(hits[1]?.status).toBe(206);
  });

  it("refuses bytes that do not hash to the id: nothing is cached, the partial is deleted", async () => {
    const a = model(80_000);
    add(a);
    next.set(a.id, { corrupt: true });
    const c = cache(1_000_000, 3);
    const err = await c.ensure(a.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelHashMismatchError);
    // Wrong bytes are final: no second try within the call.
    expect(hits).toHaveLength(1);
    expect(c.has(a.id)).toBe(false);
    expect(c.warm()).toEqual([]);
    expect(existsSync(c.pathOf(a.id))).toBe(false);
    expect(existsSync(c.partialPath(a.id))).toBe(false);
    // The next try starts over and gets the right bytes.
    expect(readFileSync(await c.ensure(a.id)).equals(a.bytes)).toBe(true);
    expect(hits[1]?.from).toBe(0);
  });

  it("refuses a resumed download whose kept prefix is wrong, and never hands it out", async () => {
    const a = model(60_000);
    add(a);
    const c = cache();
    writeFileSync(c.partialPath(a.id), randomBytes(20_000));
    await expect(c.ensure(a.id)).rejects.toBeInstanceOf(ModelHashMismatchError);
    expect(hits.map((h) => h.from)).toEqual([20_000]);
    expect(existsSync(c.pathOf(a.id))).toBe(false);
    expect(existsSync(c.partialPath(a.id))).toBe(false);
  });

  it("starts over when the server answers a Range request with the whole file", async () => {
    const a = model(90_000);
    add(a);
    const c = cache();
    writeFileSync(c.partialPath(a.id), a.bytes.subarray(0, 30_000));
    next.set(a.id, { ignoreRange: true });
    expect(readFileSync(await c.ensure(a.id)).equals(a.bytes)).toBe(true);
    expect(hits.map((h) => [h.from, h.status])).toEqual([[0, 200]]);
  });

  it("moves in a complete partial left by a run killed before its rename, with no bytes fetched", async () => {
    const a = model(40_000);
    add(a);
    const c = cache();
    writeFileSync(c.partialPath(a.id), a.bytes);
    expect(readFileSync(await c.ensure(a.id)).equals(a.bytes)).toBe(true);
    // Asked from the end: a 416, nothing sent.
    expect(hits.map((h) => [h.from, h.sent, h.status])).toEqual([[40_000, 0, 416]]);
  });

  it("re-verifies a file from an earlier run before handing it out, and replaces a bad one", async () => {
    const a = model(30_000);
    add(a);
    writeFileSync(join(dir, `${a.id}.onnx`), randomBytes(30_000));
    const c = cache();
    expect(c.has(a.id)).toBe(true);
    const path = await c.ensure(a.id);
    expect(readFileSync(path).equals(a.bytes)).toBe(true);
    expect(hits).toHaveLength(1);
  });

  it("shares one download among concurrent ensures of the same model", async () => {
    const a = model(150_000);
    add(a);
    const c = cache();
    const paths = await Promise.all([c.ensure(a.id), c.ensure(a.id), c.acquire(a.id).then((h) => h.path)]);
    expect(new Set(paths).size).toBe(1);
    expect(hits).toHaveLength(1);
  });

  it("refuses a model over the bound before fetching it", async () => {
    const a = model(10_000);
    add(a);
    await expect(cache(5_000).ensure(a.id, { size: 10_000 })).rejects.toThrow(/over the cache's bound/);
    await expect(cache(5_000).ensure(a.id)).rejects.toThrow(/bound 5000/);
    expect(existsSync(join(dir, `${a.id}.onnx`))).toBe(false);
  });
});

describe("ModelCache eviction", () => {
  const [a, b, c, d] = [model(10_000), model(10_000), model(10_000), model(10_000)] as const;
  beforeAll(() => {
    for (const m of [a, b, c, d]) add(m);
  });

  it("evicts the least recently used model past its bound: A, B, A, then C evicts B", async () => {
    const evicted: string[] = [];
    const cc = new ModelCache({ dir, maxBytes: 25_000, fetchRange, onEvict: (id) => evicted.push(id) });
    await cc.ensure(a.id);
    await cc.ensure(b.id);
    await cc.ensure(a.id);
    await cc.ensure(c.id);
    expect(evicted).toEqual([b.id]);
    expect(cc.warm()).toEqual([c.id, a.id]);
    expect(existsSync(cc.pathOf(b.id))).toBe(false);
    expect(cc.bytes()).toBe(20_000);

    // A restart reads the same order back from the files, and keeps a partial to resume.
    next.set(d.id, { cutAfter: 4_000 });
    await expect(new ModelCache({ dir, maxBytes: 25_000, fetchRange, attempts: 1 }).ensure(d.id)).rejects.toThrow();
    const restarted = new ModelCache({ dir, maxBytes: 25_000, fetchRange });
    expect(restarted.warm()).toEqual([c.id, a.id]);
    expect(existsSync(restarted.partialPath(d.id))).toBe(true);
    await restarted.ensure(a.id);
    await restarted.ensure(d.id);
    // A was used after C: C is the one to go.
    expect(restarted.warm()).toEqual([d.id, a.id]);
    expect(hits.at(-1)?.from).toBeGreaterThan(0);
  });

  it("never evicts a model a caller holds, nor the one just added", async () => {
    const cc = new ModelCache({ dir, maxBytes: 15_000, fetchRange });
    const held = await cc.acquire(a.id);
    await cc.ensure(b.id);
    // Over the bound, but A is held and B is new: both stay.
    expect(cc.warm()).toEqual([b.id, a.id]);
    expect(existsSync(held.path)).toBe(true);
    held.release();
    await cc.ensure(c.id);
    expect(cc.warm()).toEqual([c.id]);
  });
});
