import { randomUUID } from "node:crypto";
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { loadNodeIdentity } from "@proofgrid/db/nodes/node-identity";
import { sql } from "@proofgrid/db/sql-client";
import {
  NODE_SESSION_PATH,
  NODE_SESSION_PROTOCOL,
  newSessionId,
  type SessionHello,
  type SessionRequest,
  type SessionResponse,
  verifySessionRequest,
  ZSessionClientFrame,
} from "@proofgrid/por";
import { type WebSocket, WebSocketServer } from "ws";
import { z } from "zod";
import { getEnv } from "../env.ts";
import { AppError, type ErrorBody, HTTP_STATUS, toAppError } from "../errors.ts";
import { logger } from "../logger.ts";
import { countSessionFrame, setNodeSessionsOpen } from "../metrics.ts";
import { authenticateNode, type NodeIdentity, noteNodeSeen } from "../services/nodes/authenticate-node.ts";
import { parseWith } from "./handle.ts";
import { nodeOperationFor } from "./node-operations.ts";
import { parseJsonBody } from "./read-body.ts";

// The platform's end of the node session (the protocol: packages/por protocol/node-session.ts).
// One WebSocket per node carries its lease long-polls, heartbeats, completions and check
// reports: each frame is signed (ed25519, like a signed HTTP request) and numbered, so a
// frame costs a signature check and no database write, where a signed HTTP request costs a
// nonce insert. The node's identity (status, role, models, removal) is read again when the
// copy the session holds is older than IDENTITY_TTL_MS, so a quarantine or a removal reaches
// an open session within that time, as it reaches a long-poll already waiting.

/** How old the session's copy of the node's identity may be when a frame is served. */
const IDENTITY_TTL_MS = 1_000;
/** Frames served at once per session: a node's slots and checker threads, with room. */
const MAX_IN_FLIGHT = 64;
/** A session that answers no ping for this long is dropped (its lease requests are aborted). */
const PING_INTERVAL_MS = 30_000;

/** Close codes (4000–4999 are the application's). */
const CLOSE = { policy: 1008, unknownNode: 4401, shuttingDown: 1001, replaced: 4409, notReading: 4429 } as const;
/** Answers queued to a node that does not read them: past this the session ends (HTTP pauses a pipelining client likewise). */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

function onSocketError(err: Error): void {
  logger.debug({ err: String(err) }, "node session: connection error before the upgrade");
}

interface Session {
  id: string;
  ws: WebSocket;
  identity: NodeIdentity;
  loadedAt: number;
  refreshing: Promise<NodeIdentity | null> | undefined;
  lastSeq: number;
  inFlight: Map<number, AbortController>;
  alive: boolean;
}

export interface NodeSessions {
  /** Sessions open now. */
  readonly size: number;
  /** Drops every session (their requests in flight are aborted) and stops accepting new ones. */
  close(): void;
}

/**
 * Serves node sessions on `server`'s `upgrade` event at NODE_SESSION_PATH. The upgrade is
 * a signed node request (signature, window, nonce — authenticateNode, as for any node
 * request); a refused one is answered with the HTTP status and error body that request
 * would get, and any other upgrade path with a 404.
 */
export function attachNodeSessions(
  server: Server,
  opts: {
    /** Upgrades to any other path (Next.js's own); default a 404. */
    otherwise?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  } = {},
): NodeSessions {
  const sessions = new Set<Session>();
  const wss = new WebSocketServer({
    noServer: true,
    // A frame holds a request body (MAX_NODE_BODY_BYTES) as a JSON string: escaping can double it.
    maxPayload: 2 * getEnv().MAX_NODE_BODY_BYTES + 4_096,
    perMessageDeflate: false,
    handleProtocols: (protocols) => (protocols.has(NODE_SESSION_PROTOCOL) ? NODE_SESSION_PROTOCOL : false),
  });
  let closed = false;

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node takes its own error listener off a socket it hands to `upgrade`: without one, a
    // client resetting the connection while it is checked or refused (ECONNRESET) is an
    // uncaught exception that ends the process. ws adds its own once it takes the socket.
    socket.on("error", onSocketError);
    void upgrade(req, socket, head).catch((err: unknown) => {
      if (err instanceof AppError) logger.info({ code: err.code, msg: err.message }, "node session refused");
      else logger.error({ err }, "node session: upgrade failed");
      refuseUpgrade(socket, err);
    });
  };
  const upgrade = async (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = req.url ?? "/";
    if (path !== NODE_SESSION_PATH && opts.otherwise) {
      opts.otherwise(req, socket, head);
      return;
    }
    if (closed || path !== NODE_SESSION_PATH) {
      refuseUpgrade(socket, new AppError(closed ? "UNAVAILABLE" : "NOT_FOUND", closed ? "shutting down" : "no such WebSocket endpoint"));
      return;
    }
    const offered = (req.headers["sec-websocket-protocol"] ?? "").split(",").map((p) => p.trim());
    if (!offered.includes(NODE_SESSION_PROTOCOL)) {
      refuseUpgrade(socket, new AppError("BAD_REQUEST", `a node session needs the WebSocket subprotocol ${NODE_SESSION_PROTOCOL}`));
      return;
    }
    const headers = new Headers();
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string);
    const identity = await authenticateNode({ headers, method: "GET", path, body: new Uint8Array() });
    if (socket.destroyed) return;
    socket.off("error", onSocketError);
    wss.handleUpgrade(req, socket, head, (ws) => open(ws, identity));
  };

  const open = (ws: WebSocket, identity: NodeIdentity) => {
    const session: Session = {
      id: newSessionId(),
      ws,
      identity,
      loadedAt: Date.now(),
      refreshing: undefined,
      lastSeq: 0,
      inFlight: new Map(),
      alive: true,
    };
    // One session per node in this process: a node that opens another (it reconnected, and
    // the platform has not yet seen the old connection end) loses the old one, whose long-polls
    // would otherwise go on claiming jobs into a dead socket until the ping check drops it.
    for (const other of sessions) if (other.identity.id === identity.id) other.ws.close(CLOSE.replaced, "replaced by a newer session");
    sessions.add(session);
    setNodeSessionsOpen(sessions.size);
    logger.debug({ nodeId: identity.id, session: session.id }, "node session opened");
    ws.on("pong", () => {
      session.alive = true;
    });
    ws.on("message", (data, isBinary) => {
      if (isBinary) {
        ws.close(CLOSE.policy, "text frames only");
        return;
      }
      onFrame(session, data.toString());
    });
    ws.on("close", () => {
      sessions.delete(session);
      setNodeSessionsOpen(sessions.size);
      // As a hang-up aborts an HTTP request: a lease claimed for an aborted long-poll goes back.
      for (const abort of session.inFlight.values()) abort.abort();
      session.inFlight.clear();
      logger.debug({ nodeId: identity.id, session: session.id }, "node session closed");
    });
    ws.on("error", (err) => logger.warn({ err: String(err), nodeId: identity.id }, "node session: socket error"));
    const hello: SessionHello = { t: "hello", session: session.id, nodeId: identity.id };
    ws.send(JSON.stringify(hello));
  };

  const onFrame = (session: Session, text: string) => {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      session.ws.close(CLOSE.policy, "a frame that is not JSON");
      return;
    }
    const parsed = ZSessionClientFrame.safeParse(raw);
    if (!parsed.success) {
      // Answered when it has a number the node can match, so a node's bug shows as a 400 with the reason.
      const seq = (raw as { seq?: unknown } | null)?.seq;
      if (typeof seq === "number" && Number.isSafeInteger(seq) && seq > 0) {
        send(session, errorFrame(seq, new AppError("BAD_REQUEST", `not a session frame: ${z.prettifyError(parsed.error).slice(0, 500)}`)));
      }
      session.ws.close(CLOSE.policy, "a frame that is not a session request");
      return;
    }
    if (parsed.data.t === "cancel") {
      session.inFlight.get(parsed.data.seq)?.abort();
      return;
    }
    const frame = parsed.data;
    // Verified before the counter moves: an unsigned frame cannot push it forward.
    if (!verifySessionRequest({ session: session.id, frame, publicKey: session.identity.publicKey })) {
      refuseAndClose(session, frame.seq, new AppError("UNAUTHORIZED", "bad session frame signature", { reason: "bad_signature" }));
      return;
    }
    if (frame.seq <= session.lastSeq) {
      refuseAndClose(
        session,
        frame.seq,
        new AppError("UNAUTHORIZED", `replayed session frame: seq ${frame.seq} is not above ${session.lastSeq}`, { reason: "replay" }),
      );
      return;
    }
    session.lastSeq = frame.seq;
    countSessionFrame("served");
    void serve(session, frame);
  };

  const serve = async (session: Session, frame: SessionRequest) => {
    const abort = new AbortController();
    let status = 200;
    let body: unknown;
    try {
      if (session.inFlight.size >= MAX_IN_FLIGHT) {
        throw new AppError("RATE_LIMITED", `more than ${MAX_IN_FLIGHT} requests in flight on one session`, { retryAfterSeconds: 1 });
      }
      session.inFlight.set(frame.seq, abort);
      const operation = nodeOperationFor(frame.path);
      if (!operation) throw new AppError("NOT_FOUND", `${frame.path}: not a node operation a session carries`);
      const bytes = Buffer.from(frame.body, "utf8");
      if (bytes.byteLength > getEnv().MAX_NODE_BODY_BYTES) {
        throw new AppError("PAYLOAD_TOO_LARGE", `request body over ${getEnv().MAX_NODE_BODY_BYTES} bytes`);
      }
      const node = await currentIdentity(session);
      const request = parseWith(operation.schema, parseJsonBody(bytes));
      body = await operation.run({ node: { ...node }, request, signal: abort.signal });
    } catch (err) {
      const requestId = randomUUID();
      const appErr = toAppError(err, requestId);
      if (appErr.code !== "INTERNAL")
        logger.info({ requestId, path: frame.path, code: appErr.code, msg: appErr.message }, "session request refused");
      status = HTTP_STATUS[appErr.code];
      body = errorBody(appErr, requestId);
    } finally {
      session.inFlight.delete(frame.seq);
    }
    send(session, { t: "res", seq: frame.seq, status, body });
    // Removed since the session opened: the answer says so, then the session ends.
    if (status === 401) session.ws.close(CLOSE.unknownNode, "unknown node");
  };

  /** The node's identity, read again when the session's copy is stale; removed nodes end their session. */
  const currentIdentity = async (session: Session): Promise<NodeIdentity> => {
    if (Date.now() - session.loadedAt > IDENTITY_TTL_MS) {
      session.refreshing ??= loadNodeIdentity(sql(), { nodeId: session.identity.id }).finally(() => {
        session.refreshing = undefined;
      });
      const fresh = await session.refreshing;
      if (!fresh) throw new AppError("UNAUTHORIZED", "unknown node", { reason: "unknown_node" });
      session.identity = fresh;
      session.loadedAt = Date.now();
    }
    await noteNodeSeen(session.identity);
    return session.identity;
  };

  const refuseAndClose = (session: Session, seq: number, err: AppError) => {
    countSessionFrame("refused");
    logger.warn({ nodeId: session.identity.id, session: session.id, msg: err.message }, "node session: frame refused; closing");
    send(session, errorFrame(seq, err));
    session.ws.close(CLOSE.policy, err.message.slice(0, 120));
  };

  const pinger = setInterval(() => {
    for (const s of sessions) {
      if (!s.alive) {
        s.ws.terminate();
        continue;
      }
      s.alive = false;
      s.ws.ping();
    }
  }, PING_INTERVAL_MS);
  pinger.unref();

  server.on("upgrade", onUpgrade);
  return {
    get size() {
      return sessions.size;
    },
    close() {
      closed = true;
      clearInterval(pinger);
      server.off("upgrade", onUpgrade);
      for (const s of sessions) s.ws.close(CLOSE.shuttingDown, "the platform is shutting down");
      wss.close();
    },
  };
}

function send(session: Session, res: SessionResponse): void {
  if (session.ws.readyState !== session.ws.OPEN) return;
  if (session.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
    logger.warn({ nodeId: session.identity.id, buffered: session.ws.bufferedAmount }, "node session: the node reads no answers; closing");
    session.ws.close(CLOSE.notReading, "answers not read");
    return;
  }
  session.ws.send(JSON.stringify(res, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
}

function errorFrame(seq: number, err: AppError): SessionResponse {
  return {
    t: "res",
    seq,
    status: HTTP_STATUS[err.code],
    body: errorBody(err, randomUUID()),
  };
}

/** The platform's error shape (errors.ts), as an HTTP answer carries it. */
function errorBody(err: AppError, requestId: string): ErrorBody {
  return { error: { code: err.code, message: err.message, details: err.details, requestId } };
}

/** Answers a refused upgrade as the same signed HTTP request would be answered, then hangs up. */
function refuseUpgrade(socket: Duplex, err: unknown): void {
  if (socket.destroyed) return;
  const requestId = randomUUID();
  const appErr = toAppError(err, requestId);
  const status = HTTP_STATUS[appErr.code];
  const body = JSON.stringify(errorBody(appErr, requestId));
  socket.end(
    `HTTP/1.1 ${status} ${status === 401 ? "Unauthorized" : status === 404 ? "Not Found" : "Refused"}\r\n` +
      "content-type: application/json\r\n" +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      `x-request-id: ${requestId}\r\n` +
      "connection: close\r\n\r\n" +
      body,
  );
}
