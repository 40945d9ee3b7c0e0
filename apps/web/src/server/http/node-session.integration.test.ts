import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import { type AddressInfo, connect, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { sql } from "@proofgrid/db/sql-client";
import {
  type LeasedJob,
  NODE_SESSION_PATH,
  NODE_SESSION_PROTOCOL,
  signRequest,
  signSessionRequest,
  ZCompleteJobReply,
  ZFailJobReply,
  ZHeartbeatReply,
  ZLeaseReply,
} from "@proofgrid/por";
import { NodeClient } from "@proofgrid/worker/protocol/node-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { completionOf, encoderOutput, jobRow, setupEncoderMarket, type TestWorker, transfersOf } from "../testing/job-fixtures.ts";
import { metrics } from "../metrics.ts";
import { setupServiceDatabase } from "../testing/service-database.ts";
import { Dispatcher } from "../services/dispatch/dispatcher.ts";
import { matchDataPlane, serveDataPlane } from "./data-plane.ts";
import { attachNodeSessions, type NodeSessions } from "./node-session-server.ts";

// Node sessions against a real Postgres and a real HTTP server, with the worker's own client:
// the lease → complete loop over one WebSocket with no nonce written per request, the replay
// and forgery of frames and of the opening, a dropped connection (reconnect, mid-lease,
// mid-completion), a removed node, and the fallback to signed HTTP when the platform offers
// no sessions.

setupServiceDatabase({
  name: "node-session",
  env: {
    LEASE_DURATION_MS: "5000",
    POR_STAKE_REQUIRED: "0",
    POR_CHALLENGES: "0",
    PRICE_PER_CU_BASE_UNITS: "50000",
    JOB_POLL_FALLBACK_MS: "100",
  },
});
const market = setupEncoderMarket();
const dispatch = async () => (await new Dispatcher().tick()).placed;

/** A web process's two halves for these tests: the data plane over HTTP, sessions on upgrades. */
interface TestServer {
  url: string;
  sessions: NodeSessions | undefined;
  /** Cuts every TCP connection the server holds (a network drop, as the node sees it). */
  dropConnections(): void;
  close(): Promise<void>;
}

async function startServer(opts: { sessions: boolean; upgrade?: (socket: Duplex) => void }): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const match = matchDataPlane(req.method, req.url);
    if (!match) {
      res.writeHead(404).end();
      return;
    }
    void serveDataPlane(match, req, res, `http://${req.headers.host}`);
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  const sessions = opts.sessions ? attachNodeSessions(server) : undefined;
  const onUpgrade = opts.upgrade;
  if (onUpgrade) server.on("upgrade", (_req, socket) => onUpgrade(socket));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    sessions,
    dropConnections: () => {
      for (const s of sockets) s.destroy();
    },
    close: async () => {
      sessions?.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let platform: TestServer;
beforeAll(async () => {
  platform = await startServer({ sessions: true });
});
afterAll(async () => {
  await platform?.close();
});

function clientFor(w: TestWorker, server: TestServer, opts: { onSessionFallback?: (r: string) => void } = {}): NodeClient {
  const identity = {
    nodeId: w.identity.id,
    url: server.url,
    publicKey: w.identity.publicKey,
    privateKey: w.privateKey,
    region: "eu-west",
    name: "session-test",
  };
  return new NodeClient(identity, 5_000, { session: true, ...opts });
}

async function noncesOf(nodeId: string): Promise<number> {
  const rows = await sql().$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM node_nonces WHERE node_id = ${nodeId}::uuid`;
  return rows[0]?.n ?? 0;
}

/** What a worker sends when it finishes a leased job: the encoder's output and a signed receipt. */
const completion = (w: TestWorker, job: LeasedJob) => completionOf(w, { id: job.jobId, attempt: job.attempt }, encoderOutput(1));

/** A raw session: the signed opening, then the hello, with the frames the platform sends after it. */
async function rawSession(
  w: TestWorker,
  headers = signRequest({ nodeId: w.identity.id, privateKey: w.privateKey, method: "GET", path: NODE_SESSION_PATH }),
) {
  const ws = new WebSocket(`${platform.url.replace("http", "ws")}${NODE_SESSION_PATH}`, NODE_SESSION_PROTOCOL, { headers });
  const frames: unknown[] = [];
  const waiters: (() => void)[] = [];
  ws.on("message", (d) => {
    frames.push(JSON.parse(d.toString()));
    for (const w of waiters.splice(0)) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  const next = async (): Promise<Record<string, unknown>> => {
    while (frames.length === 0) await new Promise<void>((resolve) => waiters.push(resolve));
    return frames.shift() as Record<string, unknown>;
  };
  const hello = await new Promise<Record<string, unknown>>((resolve, reject) => {
    ws.once("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once("error", reject);
    void next().then(resolve);
  });
  return { ws, hello, next, closed, headers };
}

/** The HTTP status an upgrade is refused with. */
function upgradeStatus(headers: Record<string, string>, path = NODE_SESSION_PATH, protocol = NODE_SESSION_PROTOCOL): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${platform.url.replace("http", "ws")}${path}`, protocol, { headers });
    ws.once("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once("open", () => {
      ws.terminate();
      reject(new Error("the upgrade was accepted"));
    });
    ws.once("error", () => undefined);
  });
}

describe("node session", () => {
  it("runs lease → heartbeat → complete on one WebSocket: one nonce for the session, none per request", async () => {
    const w = await market.worker({ maxConcurrency: 2 });
    const client = clientFor(w, platform);
    const before = await noncesOf(w.identity.id);
    const id = await market.submit("over a session");
    expect(await dispatch()).toBe(1);

    const leased = (await client.post("/api/node/lease", { waitMs: 2_000 }, ZLeaseReply)).job;
    expect(client.sessionOpen).toBe(true);
    expect(leased).toMatchObject({ jobId: id, attempt: 1 });
    if (!leased) throw new Error("no lease");
    const beat = await client.post("/api/node/heartbeat", { leases: [{ jobId: id, attempt: 1 }] }, ZHeartbeatReply);
    expect(beat.leases).toEqual([expect.objectContaining({ jobId: id, ok: true })]);
    const done = await client.post("/api/node/complete", await completion(w, leased), ZCompleteJobReply);
    expect(done.status).toBe("accepted");

    expect(await jobRow(id)).toMatchObject({ state: "succeeded", nodeId: w.identity.id });
    expect(await transfersOf(id)).toEqual(["hold", "settle"]);
    // The opening's nonce only: three signed requests over HTTP would have written three.
    expect((await noncesOf(w.identity.id)) - before).toBe(1);
    // What an operator sees in /api/metrics.
    const gauge = await metrics().registry.getSingleMetricAsString("proofgrid_node_sessions_open");
    expect(Number(/proofgrid_node_sessions_open (\d+)/.exec(gauge)?.[1])).toBe(platform.sessions?.size);
    expect(platform.sessions?.size).toBeGreaterThanOrEqual(1);
    client.close();
  });

  it("refuses an unsigned, a replayed, a mis-addressed and a wrong-protocol opening", async () => {
    const w = await market.worker();
    expect(await upgradeStatus({})).toBe(401);
    const headers = signRequest({ nodeId: w.identity.id, privateKey: w.privateKey, method: "GET", path: NODE_SESSION_PATH });
    const s = await rawSession(w, headers);
    // The same signed opening again: its nonce is spent.
    expect(await upgradeStatus(headers)).toBe(401);
    // Signed for another path.
    const other = signRequest({ nodeId: w.identity.id, privateKey: w.privateKey, method: "GET", path: "/api/node/lease" });
    expect(await upgradeStatus(other)).toBe(401);
    expect(
      await upgradeStatus(
        signRequest({ nodeId: w.identity.id, privateKey: w.privateKey, method: "GET", path: "/api/other" }),
        "/api/other",
      ),
    ).toBe(404);
    expect(
      await upgradeStatus(
        signRequest({ nodeId: w.identity.id, privateKey: w.privateKey, method: "GET", path: NODE_SESSION_PATH }),
        NODE_SESSION_PATH,
        "chat",
      ),
    ).toBe(400);
    s.ws.close();
  });

  it("serves a frame once: a replayed frame is refused, not served, and ends the session", async () => {
    const w = await market.worker();
    const id = await market.submit("replay me");
    expect(await dispatch()).toBe(1);
    const s = await rawSession(w);
    const session = String(s.hello.session);
    const send = (seq: number, path: string, body: unknown) => {
      const frame = signSessionRequest({ session, seq, path, body: JSON.stringify(body), privateKey: w.privateKey });
      s.ws.send(JSON.stringify(frame));
      return frame;
    };
    send(1, "/api/node/lease", { waitMs: 0 });
    const lease1 = await s.next();
    expect(lease1).toMatchObject({ t: "res", seq: 1, status: 200, body: { job: { jobId: id, attempt: 1 } } });
    // Hand the job back, then take it again: attempt 2 is running on this node.
    const release = send(2, "/api/node/fail", { jobId: id, attempt: 1, kind: "release", retryable: true, error: "" });
    expect(ZFailJobReply.parse((await s.next()).body)).toEqual({ state: "queued" });
    expect(await dispatch()).toBe(1);
    send(3, "/api/node/lease", { waitMs: 0 });
    expect(await s.next()).toMatchObject({ seq: 3, status: 200, body: { job: { jobId: id, attempt: 2 } } });

    // The release frame again, byte for byte: refused, and attempt 2 keeps running.
    s.ws.send(JSON.stringify(release));
    expect(await s.next()).toMatchObject({ seq: 2, status: 401, body: { error: { code: "UNAUTHORIZED", details: { reason: "replay" } } } });
    expect((await s.closed).code).toBe(1008);
    expect(await jobRow(id)).toMatchObject({ state: "running", attempt: 2, nodeId: w.identity.id });

    // Recorded in that session, replayed in another with a fresh number: its signature names the old session.
    const s2 = await rawSession(w);
    s2.ws.send(JSON.stringify({ ...release, seq: 1 }));
    expect(await s2.next()).toMatchObject({ seq: 1, status: 401, body: { error: { details: { reason: "bad_signature" } } } });
    expect((await s2.closed).code).toBe(1008);
    // A body changed under its signature, likewise.
    const s3 = await rawSession(w);
    const honest = signSessionRequest({
      session: String(s3.hello.session),
      seq: 1,
      path: "/api/node/heartbeat",
      body: JSON.stringify({ leases: [] }),
      privateKey: w.privateKey,
    });
    s3.ws.send(JSON.stringify({ ...honest, body: JSON.stringify({ leases: [{ jobId: id, attempt: 2 }] }) }));
    expect(await s3.next()).toMatchObject({ seq: 1, status: 401 });
    expect(await jobRow(id)).toMatchObject({ state: "running", attempt: 2 });
  });

  it("answers a bad request on the session with the HTTP error, and keeps the session", async () => {
    const w = await market.worker();
    const s = await rawSession(w);
    const session = String(s.hello.session);
    const send = (seq: number, path: string, body: string) =>
      s.ws.send(JSON.stringify(signSessionRequest({ session, seq, path, body, privateKey: w.privateKey })));
    send(1, "/api/node/lease", "{not json");
    expect(await s.next()).toMatchObject({ seq: 1, status: 400, body: { error: { code: "BAD_REQUEST" } } });
    send(2, "/api/node/lease", JSON.stringify({ waitMs: -5 }));
    expect(await s.next()).toMatchObject({ seq: 2, status: 400 });
    send(3, "/api/node/nothing", "{}");
    expect(await s.next()).toMatchObject({ seq: 3, status: 404 });
    send(4, "/api/node/heartbeat", JSON.stringify({ leases: [] }));
    expect(await s.next()).toMatchObject({ seq: 4, status: 200, body: { leases: [] } });
    s.ws.close();
  });

  it("reopens a dropped session on the next request, and a lease long-poll cut by the drop loses no job", async () => {
    const w = await market.worker();
    const client = clientFor(w, platform);
    await client.post("/api/node/heartbeat", { leases: [] }, ZHeartbeatReply);
    expect(client.sessionOpen).toBe(true);

    // A long-poll waiting when the network drops fails as a network error does (the lease
    // loop retries it); nothing was claimed for it.
    const waiting = client.post("/api/node/lease", { waitMs: 4_000 }, ZLeaseReply);
    await new Promise((r) => setTimeout(r, 200));
    platform.dropConnections();
    await expect(waiting).rejects.toMatchObject({ name: "SessionClosedError" });
    expect(client.sessionOpen).toBe(false);
    // The platform sees the drop on its own side a moment later (its long-poll aborted then).
    // Offered before that, the job went to the dead long-poll and was handed back, and with no
    // dispatcher running here the next lease found nothing (a CI flake).
    for (let i = 0; i < 200 && (platform.sessions?.size ?? 0) > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(platform.sessions?.size).toBe(0);

    const id = await market.submit("after the drop");
    expect(await dispatch()).toBe(1);
    // The next request opens a new session and takes the job.
    const leased = (await client.post("/api/node/lease", { waitMs: 2_000 }, ZLeaseReply)).job;
    expect(leased).toMatchObject({ jobId: id, attempt: 1 });
    expect(client.sessionOpen).toBe(true);
    if (!leased) throw new Error("no lease");

    // Dropped again while the worker runs the job: the completion goes on the next session.
    platform.dropConnections();
    await new Promise((r) => setTimeout(r, 50));
    const request = await completion(w, leased);
    expect((await client.postWithRetry("/api/node/complete", request, ZCompleteJobReply, { maxDelayMs: 200, maxAttempts: 5 })).status).toBe(
      "accepted",
    );
    // Its answer lost and the completion sent again: the same receipt, paid once.
    expect((await client.post("/api/node/complete", request, ZCompleteJobReply)).status).toBe("already_completed");
    expect(await jobRow(id)).toMatchObject({ state: "succeeded", attempt: 1 });
    expect(await transfersOf(id)).toEqual(["hold", "settle"]);
    client.close();
  });

  it("cancels a lease long-poll the node gives up on: a job offered after it is not claimed for it", async () => {
    const w = await market.worker();
    const client = clientFor(w, platform);
    await client.post("/api/node/heartbeat", { leases: [] }, ZHeartbeatReply);
    const stop = new AbortController();
    const waiting = client.post("/api/node/lease", { waitMs: 4_000 }, ZLeaseReply, { signal: stop.signal });
    await new Promise((r) => setTimeout(r, 200));
    stop.abort();
    await expect(waiting).rejects.toThrow();
    // The cancel frame went out before this heartbeat on the same session, so once its answer
    // is back the platform has aborted the long-poll. Offered before that, the job went to the
    // long-poll and was handed back (queued, attempt 1: a CI flake), which is the product's
    // answer to a late cancel, not the case this test is about.
    await client.post("/api/node/heartbeat", { leases: [] }, ZHeartbeatReply);
    const id = await market.submit("nobody waits");
    expect(await dispatch()).toBe(1);
    await new Promise((r) => setTimeout(r, 500));
    // Offered, but no lease claimed it: it never ran on a node that stopped asking.
    expect(await jobRow(id)).toMatchObject({ state: "assigned", attempt: 0 });
    // The session itself is still open and serves the next request.
    expect(client.sessionOpen).toBe(true);
    expect((await client.post("/api/node/lease", { waitMs: 0 }, ZLeaseReply)).job).toMatchObject({ jobId: id, attempt: 1 });
    client.close();
  });

  it("ends the session of a node removed while it is open", async () => {
    const w = await market.worker();
    const client = clientFor(w, platform);
    await client.post("/api/node/heartbeat", { leases: [] }, ZHeartbeatReply);
    await sql().$executeRaw`UPDATE nodes SET removed_at = now() WHERE id = ${w.identity.id}::uuid`;
    // The session's copy of the node is read again once it is a second old.
    await new Promise((r) => setTimeout(r, 1_100));
    await expect(client.post("/api/node/heartbeat", { leases: [] }, ZHeartbeatReply)).rejects.toMatchObject({ status: 401 });
    client.close();
  });

  it("survives clients that reset the connection while their upgrade is checked or after it is refused", async () => {
    const w = await market.worker();
    const { port } = new URL(platform.url);
    const reset = async (headers: Record<string, string>, afterAnswer: boolean) => {
      const socket = connect(Number(port), "127.0.0.1");
      socket.on("error", () => undefined);
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
      const lines = [
        `GET ${NODE_SESSION_PATH} HTTP/1.1`,
        `Host: 127.0.0.1:${port}`,
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Version: 13",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        `Sec-WebSocket-Protocol: ${NODE_SESSION_PROTOCOL}`,
        ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
      ];
      socket.write(`${lines.join("\r\n")}\r\n\r\n`);
      if (afterAnswer) await new Promise<void>((resolve) => socket.once("data", () => resolve()));
      socket.resetAndDestroy();
      await new Promise((r) => setTimeout(r, 100));
    };
    // Unsigned: refused at once, then reset.
    for (let i = 0; i < 3; i++) await reset({}, true);
    // Signed by an unknown node: reset while the platform looks it up.
    const stranger = randomUUID();
    for (let i = 0; i < 3; i++)
      await reset(signRequest({ nodeId: stranger, privateKey: w.privateKey, method: "GET", path: NODE_SESSION_PATH }), false);
    // Still serving: a node opens its session and is answered.
    const client = clientFor(w, platform);
    await client.post("/api/node/heartbeat", { leases: [] }, ZHeartbeatReply);
    expect(client.sessionOpen).toBe(true);
    client.close();
  });

  it("keeps one session per node: a newer one replaces the older", async () => {
    const w = await market.worker();
    const first = await rawSession(w);
    const second = await rawSession(w);
    expect((await first.closed).code).toBe(4409);
    const frame = signSessionRequest({
      session: String(second.hello.session),
      seq: 1,
      path: "/api/node/heartbeat",
      body: JSON.stringify({ leases: [] }),
      privateKey: w.privateKey,
    });
    second.ws.send(JSON.stringify(frame));
    expect(await second.next()).toMatchObject({ seq: 1, status: 200 });
    second.ws.close();
  });

  it("answers a frame that is not a session request with a 400 naming the problem, then closes", async () => {
    const w = await market.worker();
    const s = await rawSession(w);
    s.ws.send(JSON.stringify({ t: "req", seq: 1, path: "/API/NODE/LEASE", body: "{}", sig: "x" }));
    expect(await s.next()).toMatchObject({ seq: 1, status: 400, body: { error: { code: "BAD_REQUEST" } } });
    expect((await s.closed).code).toBe(1008);
  });

  it("falls back to signed HTTP for a while when a proxy answers the upgrade with something else (502)", async () => {
    const proxied = await startServer({
      sessions: false,
      upgrade: (socket) => socket.end("HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"),
    });
    try {
      const w = await market.worker();
      const reasons: string[] = [];
      const client = clientFor(w, proxied, { onSessionFallback: (r) => reasons.push(r) });
      expect((await client.post("/api/node/heartbeat", { leases: [] }, ZHeartbeatReply)).leases).toEqual([]);
      await client.post("/api/node/heartbeat", { leases: [] }, ZHeartbeatReply);
      expect(client.sessionOpen).toBe(false);
      // One try, then HTTP until the retry time: not an opening per request.
      expect(reasons).toEqual([expect.stringContaining("502")]);
      client.close();
    } finally {
      await proxied.close();
    }
  });

  it("falls back to signed HTTP requests when the platform offers no sessions", async () => {
    const plain = await startServer({ sessions: false });
    try {
      const w = await market.worker();
      const reasons: string[] = [];
      const client = clientFor(w, plain, { onSessionFallback: (r) => reasons.push(r) });
      const before = await noncesOf(w.identity.id);
      await client.post("/api/node/heartbeat", { leases: [] }, ZHeartbeatReply);
      await client.post("/api/node/heartbeat", { leases: [] }, ZHeartbeatReply);
      expect(client.sessionOpen).toBe(false);
      expect(reasons).toHaveLength(1);
      // Each HTTP request wrote its nonce.
      expect((await noncesOf(w.identity.id)) - before).toBe(2);
      client.close();
    } finally {
      await plain.close();
    }
  });
});
