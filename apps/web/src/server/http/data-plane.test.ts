import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type DataPlaneMatch, matchDataPlane, originFor, serveDataPlane } from "./data-plane.ts";
import { readBodyLimited } from "./read-body.ts";

describe("matchDataPlane", () => {
  it("serves the job and node-protocol routes, with the job id as a param and the query ignored", () => {
    expect(matchDataPlane("POST", "/api/v1/jobs")).toBeDefined();
    expect(matchDataPlane("GET", "/api/v1/jobs?state=queued")).toBeDefined();
    expect(matchDataPlane("GET", "/api/v1/jobs/abc%2Dd?wait=1000")?.params).toEqual({ id: "abc-d" });
    for (const p of ["lease", "complete", "heartbeat", "fail", "goodbye", "register", "checks/lease", "checks/report"]) {
      expect(matchDataPlane("POST", `/api/node/${p}`), p).toBeDefined();
    }
    // A method the route answers with its JSON 405 is the route's too.
    expect(matchDataPlane("PUT", "/api/v1/jobs")).toBeDefined();
    // OpenAI-compatible embeddings, and Open Inference Protocol inference with and without a version.
    expect(matchDataPlane("POST", "/v1/embeddings")).toBeDefined();
    expect(matchDataPlane("POST", "/v2/models/encoder-synthetic-minilm/infer")?.params).toEqual({ name: "encoder-synthetic-minilm" });
    expect(matchDataPlane("POST", "/v2/models/m%40x/versions/abc/infer?x=1")?.params).toEqual({ name: "m@x", version: "abc" });
  });

  it("leaves everything else to Next.js", () => {
    expect(matchDataPlane("GET", "/")).toBeUndefined();
    expect(matchDataPlane("GET", "/api/v1/jobs/abc/verification")).toBeUndefined();
    expect(matchDataPlane("GET", "/v2/models/encoder-synthetic-minilm")).toBeUndefined();
    expect(matchDataPlane("GET", "/v1/models")).toBeUndefined();
    expect(matchDataPlane("POST", "/v2/models/a/b/infer")).toBeUndefined();
    expect(matchDataPlane("POST", "/api/trpc/jobs.submit")).toBeUndefined();
    expect(matchDataPlane("HEAD", "/api/v1/jobs")).toBeUndefined();
    expect(matchDataPlane("OPTIONS", "/api/node/lease")).toBeUndefined();
    expect(matchDataPlane("GET", "/api/v1/jobs/%E0%A4%A")).toBeUndefined();
    expect(matchDataPlane(undefined, undefined)).toBeUndefined();
  });
});

describe("originFor", () => {
  it("takes a Host header that is a host and port, and falls back for anything else", () => {
    const fallback = "http://127.0.0.1:3000";
    expect(originFor("localhost:3000", fallback)).toBe("http://localhost:3000");
    expect(originFor("[::1]:3000", fallback)).toBe("http://[::1]:3000");
    expect(originFor("10.0.0.7", fallback)).toBe("http://10.0.0.7");
    for (const bad of [undefined, "", "a b", "evil.example/path", "user@host", "x:99999999", "a\nb"]) {
      expect(originFor(bad, fallback), String(bad)).toBe(fallback);
    }
  });
});

describe("serveDataPlane", () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  /** A real HTTP server whose every request goes to `handler` the way web-server.ts sends it. */
  async function serve(handler: DataPlaneMatch["handler"]): Promise<string> {
    server = createServer((req, res) => {
      void serveDataPlane({ handler, params: { id: "j1" } }, req, res, `http://${req.headers.host}`);
    });
    await new Promise<void>((r) => server?.listen(0, "127.0.0.1", r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it("hands the handler the method, URL, headers, params and body, and writes its status, headers and body back", async () => {
    const base = await serve(async (req, ctx) => {
      const body = new TextDecoder().decode(await readBodyLimited(req, 1_000));
      const headers = new Headers({ "content-type": "application/json", "x-request-id": "r1" });
      headers.append("set-cookie", "a=1");
      headers.append("set-cookie", "b=2");
      return new Response(
        JSON.stringify({ method: req.method, url: req.url, auth: req.headers.get("authorization"), params: await ctx.params, body }),
        {
          status: 201,
          headers,
        },
      );
    });
    const res = await fetch(`${base}/api/v1/jobs?x=1`, { method: "POST", headers: { authorization: "Bearer k" }, body: '{"a":1}' });
    expect(res.status).toBe(201);
    expect(res.headers.get("x-request-id")).toBe("r1");
    expect(res.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
    expect(await res.json()).toEqual({
      method: "POST",
      url: `${base}/api/v1/jobs?x=1`,
      auth: "Bearer k",
      params: { id: "j1" },
      body: '{"a":1}',
    });
  });

  it("answers a chunked body over the handler's limit with the handler's 413, not a reset connection", async () => {
    const base = await serve(async (req) => {
      try {
        await readBodyLimited(req, 1_000);
        return new Response("read", { status: 200 });
      } catch (err) {
        return new Response((err as Error).message, { status: 413 });
      }
    });
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${base}/api/node/lease`, { method: "POST" }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      // No Content-Length: chunked, so only counting the stream finds it too large.
      for (let i = 0; i < 50; i++) req.write(Buffer.alloc(100, 1));
      req.end();
    });
    expect(status).toBe(413);
  });

  it("aborts the handler's signal when the client goes away before the answer", async () => {
    let aborted: () => void = () => {};
    const sawAbort = new Promise<void>((r) => {
      aborted = r;
    });
    const base = await serve(
      (req) =>
        new Promise<Response>((resolve) => {
          req.signal.addEventListener("abort", () => {
            aborted();
            resolve(new Response("gone"));
          });
        }),
    );
    const client = new AbortController();
    const pending = fetch(`${base}/api/v1/jobs/j1?wait=60000`, { signal: client.signal }).catch(() => "client aborted");
    await new Promise((r) => setTimeout(r, 100));
    client.abort();
    expect(await pending).toBe("client aborted");
    await sawAbort;
  });
});
