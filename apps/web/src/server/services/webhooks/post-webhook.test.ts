import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postWebhook } from "./deliver-webhooks.ts";

// postWebhook against a real local server: the timeout bounds a receiver that never answers,
// a huge answer is cut off, and a private address is refused without the development flag.

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    if (req.url === "/hang") return; // never answers
    if (req.url === "/huge") {
      res.writeHead(200);
      const chunk = Buffer.alloc(16 * 1024, "x");
      const write = () => {
        while (res.write(chunk)) {
          /* fill the buffer */
        }
      };
      write();
      res.on("drain", write);
      return;
    }
    if (req.url === "/redirect") {
      res.writeHead(302, { location: "http://169.254.169.254/" }).end();
      return;
    }
    res.writeHead(200).end("ok");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const post = (path: string, opts: { timeoutMs?: number; allowLocal?: boolean } = {}) =>
  postWebhook({ url: `${base}${path}`, headers: {}, body: "{}", timeoutMs: opts.timeoutMs ?? 2_000, allowLocal: opts.allowLocal ?? true });

describe("postWebhook", () => {
  it("answers with the status and the first bytes of the body", async () => {
    expect(await post("/ok")).toMatchObject({ statusCode: 200, error: null, response: "ok" });
  });

  it("gives up on a receiver that never answers after the timeout", async () => {
    const r = await post("/hang", { timeoutMs: 300 });
    expect(r).toMatchObject({ statusCode: null, error: "timed out after 300 ms" });
    expect(r.latencyMs).toBeGreaterThanOrEqual(290);
    expect(r.latencyMs).toBeLessThan(2_000);
  });

  it("stops reading an endless answer and logs at most 1 KB of it", async () => {
    const r = await post("/huge", { timeoutMs: 5_000 });
    expect(r.statusCode).toBe(200);
    expect(r.response?.length).toBeLessThanOrEqual(1_024);
    expect(r.latencyMs).toBeLessThan(5_000);
  });

  it("follows no redirect (a 302 is a failed attempt)", async () => {
    expect(await post("/redirect")).toMatchObject({ statusCode: 302 });
  });

  it("refuses a loopback address without the development flag", async () => {
    expect(await post("/ok", { allowLocal: false })).toMatchObject({
      statusCode: null,
      error: expect.stringMatching(/not a public address/),
    });
  });
});
