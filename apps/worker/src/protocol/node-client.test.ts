import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { generateNodeKeyPair, ZGoodbyeReply, ZHeartbeatReply, ZLeaseReply } from "@proofgrid/por";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeClient, PlatformError, PlatformReplyError } from "./node-client.ts";

// A real HTTP server standing in for a platform that answers 200 with the wrong body: the
// client must refuse the reply, naming the path, instead of handing it on as if it were one.

const replies: Record<string, string> = {
  "/api/node/heartbeat": JSON.stringify({ leases: "none", status: "online" }),
  "/api/node/lease": "<html>502 Bad Gateway</html>",
  "/api/node/goodbye": JSON.stringify({ status: "offline", offersReturned: 0 }),
  "/api/node/fail": JSON.stringify({ state: "lost" }),
};
const hits: string[] = [];
let server: Server;
let client: NodeClient;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      hits.push(req.url ?? "");
      res.writeHead(200, { "content-type": "application/json" });
      res.end(replies[req.url ?? ""] ?? "{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const keys = generateNodeKeyPair();
  client = new NodeClient(
    { nodeId: "6d1f7f0e-4a55-4c1f-9f53-1f2b0c7d9a11", url: `http://127.0.0.1:${port}`, region: "local", name: "test", ...keys },
    5_000,
  );
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("NodeClient against a platform whose replies are malformed", () => {
  it("refuses a reply of the wrong shape, naming the path and the field", async () => {
    const err = await client.post("/api/node/heartbeat", { leases: [] }, ZHeartbeatReply).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlatformReplyError);
    expect(err).toBeInstanceOf(PlatformError);
    expect((err as PlatformReplyError).code).toBe("MALFORMED_REPLY");
    expect((err as PlatformReplyError).message).toMatch(/^\/api\/node\/heartbeat: the platform's reply does not match the node protocol/);
    expect((err as PlatformReplyError).message).toContain("leases");
  });

  it("refuses a reply that is not JSON, and does not retry it", async () => {
    const before = hits.length;
    const err = await client
      .postWithRetry("/api/node/lease", { waitMs: 0 }, ZLeaseReply, { maxDelayMs: 10, maxAttempts: 5 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlatformReplyError);
    expect((err as PlatformReplyError).message).toMatch(/^\/api\/node\/lease: .*not JSON/);
    expect((err as PlatformReplyError).retryable).toBe(false);
    // The platform acted on the request: asking again would not mend its answer.
    expect(hits.length - before).toBe(1);
  });

  it("checks a reply against the protocol's schema for the path when the caller names none", async () => {
    expect(await client.post("/api/node/goodbye", {})).toEqual({ status: "offline", offersReturned: 0 });
    await expect(client.post("/api/node/fail", { jobId: "x", attempt: 1, kind: "error" })).rejects.toThrow(
      /^\/api\/node\/fail: the platform's reply does not match the node protocol[\s\S]*at state/,
    );
  });

  it("returns the parsed reply when it matches", async () => {
    const bye = await client.post("/api/node/goodbye", {}, ZGoodbyeReply);
    expect(bye.offersReturned).toBe(0);
  });
});
