import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { build } from "esbuild";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Proofgrid } from "./client.ts";
import {
  AuthenticationError,
  BadRequestError,
  ConflictError,
  ConnectionError,
  InternalServerError,
  NotFoundError,
  PermissionDeniedError,
  ProofgridError,
  RateLimitError,
  UnprocessableError,
} from "./errors.ts";
import { backoffMs, parseRetryAfter, resolveRetryOptions } from "./retry.ts";

// The client against a real HTTP server on a free port that answers as the API documents
// (JSON bodies, the error shape { error: { code, message, requestId } }, Retry-After on 429):
// each test scripts the answers, the server records every request it got.

interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage["headers"];
  body: string;
}
type Reply = (req: Seen, res: ServerResponse) => void;

let server: Server;
let baseUrl: string;
let script: Reply[] = [];
let seen: Seen[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://x");
      const s: Seen = {
        method: req.method ?? "",
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      seen.push(s);
      const reply = script.shift();
      if (!reply) sendError(res, 500, "INTERNAL", "the test scripted no answer for this request");
      else reply(s, res);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
afterEach(() => {
  script = [];
  seen = [];
});

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", "x-request-id": "req-header", ...headers });
  res.end(JSON.stringify(body));
}
function sendError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}) {
  sendJson(res, status, { error: { code, message, requestId: `req-${status}` } }, headers);
}
const job = (state = "queued", extra: Record<string, unknown> = {}) => ({
  id: "0b6f2c8e-6c2a-4b8e-9a51-3f0c1d2e4a5b",
  model: "encoder-synthetic-minilm",
  state,
  error: null,
  ...extra,
});
const ok =
  (status = 201, body: unknown = job()): Reply =>
  (_r, res) =>
    sendJson(res, status, body);
const fail =
  (status: number, code: string, headers: Record<string, string> = {}): Reply =>
  (_r, res) =>
    sendError(res, status, code, `${code.toLowerCase()} for the test`, headers);
/** No answer: the connection is dropped, as a network failure looks to the client. */
const drop: Reply = (_r, res) => res.socket?.destroy();

function client(extra: Partial<ConstructorParameters<typeof Proofgrid>[0]> = {}) {
  return new Proofgrid({
    apiKey: "pg_test",
    baseUrl,
    retry: { maxRetries: 3, baseDelayMs: 5, maxDelayMs: 20, ...extra.retry },
    timeoutMs: 5_000,
    ...extra,
  });
}
const keysSeen = () => seen.map((s) => s.headers["idempotency-key"]);
async function caught(p: Promise<unknown>): Promise<ProofgridError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProofgridError);
  return err as ProofgridError;
}

describe("retries", () => {
  it("retries 5xx and dropped connections with the same idempotency key, then returns the job", async () => {
    script = [fail(503, "UNAVAILABLE"), drop, fail(500, "INTERNAL"), ok()];
    const submitted = await client().jobs.submit({ model: "encoder-synthetic-minilm", input: { text: "hi" } });
    expect(submitted.state).toBe("queued");
    expect(seen).toHaveLength(4);
    const keys = keysSeen();
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(keys)).toEqual(new Set([keys[0]]));
    // The body went out whole on every attempt.
    for (const s of seen) expect(JSON.parse(s.body)).toEqual({ model: "encoder-synthetic-minilm", input: { text: "hi" } });
    expect(seen.every((s) => s.headers.authorization === "Bearer pg_test")).toBe(true);
  });

  it("gives each logical call its own key, and uses a key the caller passes", async () => {
    script = [ok(), ok(), fail(502, "INTERNAL"), ok()];
    const c = client();
    await c.jobs.submit({ model: "m", input: {} });
    await c.jobs.submit({ model: "m", input: {} });
    await c.jobs.submit({ model: "m", input: {} }, { idempotencyKey: "my-key-1" });
    const keys = keysSeen();
    expect(keys[0]).not.toBe(keys[1]);
    expect(keys.slice(2)).toEqual(["my-key-1", "my-key-1"]);
  });

  it("waits what a 429's Retry-After says before retrying", async () => {
    script = [fail(429, "RATE_LIMITED", { "retry-after": "1" }), ok(200, job("queued"))];
    const t0 = performance.now();
    await client().jobs.get("0b6f2c8e-6c2a-4b8e-9a51-3f0c1d2e4a5b");
    const took = performance.now() - t0;
    expect(seen).toHaveLength(2);
    // Backoff alone would be ≤ 20 ms here.
    expect(took).toBeGreaterThanOrEqual(950);
  });

  it("does not wait out a Retry-After beyond maxRetryAfterMs: a RateLimitError at once, with retryAfterMs", async () => {
    script = [fail(429, "RATE_LIMITED", { "retry-after": "120" })];
    const err = await caught(client().models.list());
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err.retryAfterMs).toBe(120_000);
    expect(err.status).toBe(429);
    expect(seen).toHaveLength(1);
  });

  it("gives up after maxRetries with the last answer's typed error", async () => {
    script = Array.from({ length: 4 }, () => fail(500, "INTERNAL"));
    const err = await caught(client().balance.get());
    expect(err).toBeInstanceOf(InternalServerError);
    expect(err).toMatchObject({ status: 500, code: "INTERNAL", requestId: "req-500" });
    expect(seen).toHaveLength(4);
  });

  it("retries an attempt that times out, and throws ConnectionError when none answers", async () => {
    const hang: Reply = () => {}; // never answers
    script = [hang, ok(200, { models: [] })];
    expect(await client({ timeoutMs: 150 }).models.list()).toEqual([]);
    expect(seen).toHaveLength(2);

    seen = [];
    script = [drop, drop];
    const err = await caught(client({ retry: { maxRetries: 1 } }).models.list());
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.status).toBeNull();
    expect(seen).toHaveLength(2);
  });

  it("does not retry other 4xx", async () => {
    script = [fail(400, "BAD_REQUEST")];
    await caught(client().jobs.submit({ model: "m", input: {} }));
    expect(seen).toHaveLength(1);
  });

  it("stops at once when the caller aborts", async () => {
    script = [fail(503, "UNAVAILABLE", { "retry-after": "30" })];
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 100);
    const t0 = performance.now();
    const err = await client()
      .jobs.get("x", { signal: abort.signal })
      .catch((e: unknown) => e);
    expect((err as Error).name).toBe("AbortError");
    expect(performance.now() - t0).toBeLessThan(5_000);
  });
});

describe("errors", () => {
  it("maps each status to its class, with status, code, message and request id", async () => {
    const cases: [number, string, typeof ProofgridError][] = [
      [400, "BAD_REQUEST", BadRequestError],
      [401, "UNAUTHORIZED", AuthenticationError],
      [403, "FORBIDDEN", PermissionDeniedError],
      [404, "NOT_FOUND", NotFoundError],
      [409, "CONFLICT", ConflictError],
      [422, "UNPROCESSABLE", UnprocessableError],
    ];
    for (const [status, code, Class] of cases) {
      script = [fail(status, code)];
      const err = await caught(client().jobs.get("0b6f2c8e-6c2a-4b8e-9a51-3f0c1d2e4a5b"));
      expect(err).toBeInstanceOf(Class);
      expect(err).toMatchObject({ status, code, requestId: `req-${status}`, message: `${code.toLowerCase()} for the test` });
      expect(err.name).toBe(Class.name);
    }
    expect(new UnprocessableError({ status: 422, code: null, message: "", requestId: null })).toBeInstanceOf(ConflictError);
  });

  it("reads an answer that is not the platform's JSON: the status's class, the text, the header's request id", async () => {
    script = [
      (_r, res) => {
        res.writeHead(404, { "content-type": "text/html", "x-request-id": "from-proxy" });
        res.end("<h1>Not Found</h1>");
      },
    ];
    const err = await caught(client().jobs.get("nope"));
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err).toMatchObject({ status: 404, code: null, requestId: "from-proxy", message: "<h1>Not Found</h1>" });
  });
});

describe("jobs.wait and jobs.run", () => {
  it("long-polls with ?wait= until the job is finished", async () => {
    script = [ok(201, job("queued")), ok(200, job("running")), ok(200, job("succeeded", { output: { dim: 384 } }))];
    const done = await client().jobs.run({ model: "encoder-synthetic-minilm", input: { text: "x" } });
    expect(done.output).toEqual({ dim: 384 });
    expect(seen.map((s) => s.method)).toEqual(["POST", "GET", "GET"]);
    for (const s of seen) {
      const wait = Number(s.query.get("wait"));
      expect(wait).toBeGreaterThan(0);
      expect(wait).toBeLessThanOrEqual(60_000);
    }
  });

  it("takes one request when the submit's own wait sees the job finish", async () => {
    script = [ok(201, job("succeeded", { output: { dim: 384 } }))];
    const done = await client().jobs.run({ model: "encoder-synthetic-minilm", input: { text: "x" } }, { waitTimeoutMs: 5_000 });
    expect(done.output).toEqual({ dim: 384 });
    expect(seen.map((s) => s.method)).toEqual(["POST"]);
    expect(seen[0]?.query.get("wait")).toBe("5000");
    expect(seen[0]?.headers["idempotency-key"]).toBeTruthy();
  });

  it("throws JobFailedError from run when the job failed", async () => {
    script = [ok(201, job("queued")), ok(200, job("failed", { error: "bad input" }))];
    const err = await caught(client().jobs.run({ model: "m", input: {} }));
    expect(err.code).toBe("JOB_FAILED");
    expect(err.message).toContain("bad input");
  });
});

describe("backoff", () => {
  const opts = resolveRetryOptions({ baseDelayMs: 100, maxDelayMs: 1_000 });
  it("doubles per retry, capped, with half of it random", () => {
    expect([0, 1, 2, 3, 4, 10].map((r) => backoffMs(r, opts, () => 0))).toEqual([50, 100, 200, 400, 500, 500]);
    expect([0, 1, 2, 3, 4, 10].map((r) => backoffMs(r, opts, () => 1))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
  it("reads Retry-After as seconds or an HTTP date", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("3", now)).toBe(3_000);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:05 GMT", now)).toBe(5_000);
    expect(parseRetryAfter("soon", now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });
  it("refuses settings out of bounds", () => {
    expect(() => resolveRetryOptions({ maxRetries: 1_000 })).toThrow(RangeError);
    expect(() => resolveRetryOptions({ baseDelayMs: -1 })).toThrow(RangeError);
  });
});

describe("browser", () => {
  it("the client bundles for the browser: no Node built-in anywhere in its imports", async () => {
    const result = await build({
      entryPoints: [new URL("./index.ts", import.meta.url).pathname],
      bundle: true,
      platform: "browser",
      format: "esm",
      write: false,
      logLevel: "silent",
    });
    expect(result.errors).toEqual([]);
    const code = result.outputFiles[0]?.text ?? "";
    expect(code).toContain("idempotency-key");
    expect(code).not.toMatch(/from\s*["']node:/);
  });
});
