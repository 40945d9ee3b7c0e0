import {
  NODE_SESSION_PATH,
  NODE_SESSION_PROTOCOL,
  type SessionCancel,
  signRequest,
  signSessionRequest,
  ZSessionHello,
  ZSessionResponse,
} from "@proofgrid/por";
import WebSocket from "ws";
import type { NodeIdentity } from "../identity/node-identity.ts";

/** The platform does not offer sessions (its upgrade answered 404 or 405: e.g. `next start`). */
export class SessionUnsupportedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SessionUnsupportedError";
  }
}

/** The platform refused to open the session with this HTTP answer (401: bad signature, 403 ...). */
export class SessionRefusedError extends Error {
  constructor(
    readonly status: number,
    readonly text: string,
  ) {
    super(`${NODE_SESSION_PATH}: ${status}`);
    this.name = "SessionRefusedError";
  }
}

/** The session dropped or stalled with the request in flight: worth a retry, as a network error is. */
export class SessionClosedError extends Error {
  constructor(
    message: string,
    /** True when the session never opened (the request was not sent). */
    readonly opening = false,
  ) {
    super(message);
    this.name = "SessionClosedError";
  }
}

export interface SessionAnswer {
  status: number;
  body: unknown;
}

interface Pending {
  resolve: (answer: SessionAnswer) => void;
  reject: (err: Error) => void;
}

interface Open {
  ws: WebSocket;
  session: string;
  seq: number;
  pending: Map<number, Pending>;
  /** Requests given up on (timed out, aborted), by seq: a lease answered anyway is handed back. */
  cancelled: Map<number, string>;
  /** Whether anything (a frame, a pong) came since the last ping. */
  heard: boolean;
  /** When the platform was last heard from on this session (a frame or a pong). */
  lastHeardAt: number;
  pinger: ReturnType<typeof setInterval>;
}

/** Cancelled requests remembered per session (their late answers are rare). */
const MAX_CANCELLED = 256;
/** The node pings the platform this often; a session that answered nothing since the last ping is dropped. */
const PING_INTERVAL_MS = 15_000;

/**
 * The node's end of a node session (packages/por protocol/node-session.ts): one WebSocket
 * to the platform, opened on first use with a signed upgrade, reopened after a drop. Each
 * request is a numbered frame signed with the node's key; the answers come back by number.
 * A request in flight when the connection drops fails with SessionClosedError (the caller
 * retries, as after a network error); one that outlives its timeout, or whose signal aborts,
 * is cancelled on the platform (a lease answered anyway is handed back) and fails alone while
 * the connection is heard from; a timeout with nothing heard since the request was sent, or a
 * ping unanswered for PING_INTERVAL_MS, drops the connection.
 */
export class NodeSessionClient {
  #open: Open | undefined;
  #opening: Promise<Open> | undefined;
  #closed = false;

  constructor(
    private readonly identity: NodeIdentity,
    private readonly openTimeoutMs: number,
  ) {}

  /** Whether a session is open now (for logs and tests). */
  get connected(): boolean {
    return this.#open !== undefined;
  }

  async request(path: string, body: string, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<SessionAnswer> {
    opts.signal?.throwIfAborted();
    const open = await this.#ensureOpen();
    opts.signal?.throwIfAborted();
    const seq = ++open.seq;
    const frame = signSessionRequest({ session: open.session, seq, path, body, privateKey: this.identity.privateKey });
    return new Promise<SessionAnswer>((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer);
        opts.signal?.removeEventListener("abort", onAbort);
        open.pending.delete(seq);
      };
      const onAbort = () => {
        finish();
        this.#cancel(open, seq, path);
        reject(opts.signal?.reason instanceof Error ? opts.signal.reason : new Error("aborted"));
      };
      // This request fails (retryable, as a timed-out HTTP request). If the platform has said
      // something on the session since it was sent, the connection lives and only this request
      // was slow: the others go on. If nothing at all came back, the connection is dead (a
      // partition, a lost route): it is dropped now, and the next request opens another,
      // instead of every request timing out on it until the pings notice.
      const sentAt = Date.now();
      const timer = setTimeout(() => {
        finish();
        this.#cancel(open, seq, path);
        reject(new SessionClosedError(`${path}: no answer on the node session in ${opts.timeoutMs} ms`));
        if (open.lastHeardAt < sentAt) this.#drop(open, `nothing heard in ${opts.timeoutMs} ms`);
      }, opts.timeoutMs);
      open.pending.set(seq, {
        resolve: (answer) => {
          finish();
          resolve(answer);
        },
        reject: (err) => {
          finish();
          reject(err);
        },
      });
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      open.ws.send(JSON.stringify(frame), (err) => {
        if (err) open.pending.get(seq)?.reject(new SessionClosedError(`${path}: could not send on the node session: ${err.message}`));
      });
    });
  }

  /** Tells the platform to abort `seq`, and remembers it in case its answer was already on the way. */
  #cancel(open: Open, seq: number, path: string): void {
    open.cancelled.set(seq, path);
    if (open.cancelled.size > MAX_CANCELLED) {
      const oldest = open.cancelled.keys().next().value;
      if (oldest !== undefined) open.cancelled.delete(oldest);
    }
    const cancel: SessionCancel = { t: "cancel", seq };
    if (open.ws.readyState === WebSocket.OPEN) open.ws.send(JSON.stringify(cancel));
  }

  /**
   * An answer to a request given up on. A lease that came anyway holds a job no slot will
   * run: it goes back at once (as the platform does for a lease claimed after a hang-up),
   * instead of waiting out its lease.
   */
  #lateAnswer(open: Open, seq: number, status: number, body: unknown): void {
    const path = open.cancelled.get(seq);
    open.cancelled.delete(seq);
    if (path !== "/api/node/lease" || status !== 200) return;
    const job = (body as { job?: { jobId?: unknown; attempt?: unknown } | null } | null)?.job;
    if (!job || typeof job.jobId !== "string" || typeof job.attempt !== "number") return;
    const release = JSON.stringify({ jobId: job.jobId, attempt: job.attempt, kind: "release", retryable: true, error: "" });
    const frame = signSessionRequest({
      session: open.session,
      seq: ++open.seq,
      path: "/api/node/fail",
      body: release,
      privateKey: this.identity.privateKey,
    });
    if (open.ws.readyState === WebSocket.OPEN) open.ws.send(JSON.stringify(frame));
  }

  /** Closes the session; requests in flight fail with SessionClosedError. */
  close(): void {
    this.#closed = true;
    if (this.#open) this.#drop(this.#open, "the node is stopping", 1000);
  }

  #ensureOpen(): Promise<Open> {
    if (this.#closed) return Promise.reject(new SessionClosedError("the node session was closed"));
    if (this.#open) return Promise.resolve(this.#open);
    this.#opening ??= this.#connect().finally(() => {
      this.#opening = undefined;
    });
    return this.#opening;
  }

  #connect(): Promise<Open> {
    const url = new URL(NODE_SESSION_PATH, this.identity.url);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    const headers = signRequest({
      nodeId: this.identity.nodeId,
      privateKey: this.identity.privateKey,
      method: "GET",
      path: NODE_SESSION_PATH,
    });
    return new Promise<Open>((resolve, reject) => {
      const ws = new WebSocket(url, NODE_SESSION_PROTOCOL, {
        headers,
        handshakeTimeout: this.openTimeoutMs,
        perMessageDeflate: false,
        // Answers carry a job's input (a lease) or a check's: bounded by the platform's own limits.
        maxPayload: 256 * 1024 * 1024,
      });
      let open: Open | undefined;
      const helloTimer = setTimeout(() => {
        ws.terminate();
        reject(new SessionClosedError(`${NODE_SESSION_PATH}: no hello in ${this.openTimeoutMs} ms`, true));
      }, this.openTimeoutMs);
      ws.on("unexpected-response", (_req, res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => {
          if (chunks.length < 64) chunks.push(c);
        });
        res.on("end", () => {
          clearTimeout(helloTimer);
          const status = res.statusCode ?? 0;
          const text = Buffer.concat(chunks).toString("utf8").slice(0, 2_000);
          ws.terminate();
          if (status === 404 || status === 405) {
            reject(new SessionUnsupportedError(`${NODE_SESSION_PATH}: ${status}: the platform offers no node sessions`));
          } else if ((status === 401 || status === 403) && isPlatformError(text)) {
            // The platform's own refusal (a bad key, a removed node): what any request would get.
            reject(new SessionRefusedError(status, text));
          } else {
            // A proxy's answer, a restart's 503: this request goes as HTTP, a session later.
            reject(new SessionClosedError(`${NODE_SESSION_PATH}: the upgrade was answered ${status}`, true));
          }
        });
        res.on("error", () => undefined);
      });
      ws.on("error", (err) => {
        clearTimeout(helloTimer);
        if (!open) reject(new SessionClosedError(`${NODE_SESSION_PATH}: ${err.message}`, true));
      });
      ws.on("message", (data, isBinary) => {
        if (isBinary) return;
        let frame: unknown;
        try {
          frame = JSON.parse(data.toString());
        } catch {
          return;
        }
        if (!open) {
          const hello = ZSessionHello.safeParse(frame);
          clearTimeout(helloTimer);
          if (!hello.success || hello.data.nodeId !== this.identity.nodeId) {
            ws.terminate();
            reject(new SessionClosedError(`${NODE_SESSION_PATH}: the platform's first frame is not its hello`, true));
            return;
          }
          if (this.#closed) {
            // Closed while it opened: nothing will use it.
            ws.close(1000, "the node is stopping");
            reject(new SessionClosedError("the node session was closed", true));
            return;
          }
          const o: Open = {
            ws,
            session: hello.data.session,
            seq: 0,
            pending: new Map(),
            cancelled: new Map(),
            heard: true,
            lastHeardAt: Date.now(),
            pinger: undefined as never,
          };
          o.pinger = setInterval(() => {
            if (!o.heard) {
              this.#drop(o, `no answer to a ping in ${PING_INTERVAL_MS} ms`);
              return;
            }
            o.heard = false;
            ws.ping();
          }, PING_INTERVAL_MS);
          o.pinger.unref();
          open = o;
          this.#open = o;
          resolve(o);
          return;
        }
        open.heard = true;
        open.lastHeardAt = Date.now();
        const res = ZSessionResponse.safeParse(frame);
        if (!res.success) return;
        const pending = open.pending.get(res.data.seq);
        if (pending) pending.resolve({ status: res.data.status, body: res.data.body });
        else this.#lateAnswer(open, res.data.seq, res.data.status, res.data.body);
      });
      ws.on("pong", () => {
        if (!open) return;
        open.heard = true;
        open.lastHeardAt = Date.now();
      });
      ws.on("close", (code, reason) => {
        clearTimeout(helloTimer);
        if (open) clearInterval(open.pinger);
        if (!open) {
          reject(new SessionClosedError(`${NODE_SESSION_PATH}: closed before its hello (${code})`, true));
          return;
        }
        if (this.#open === open) this.#open = undefined;
        const err = new SessionClosedError(`the node session closed (${code}${reason.length ? `: ${reason.toString()}` : ""})`);
        for (const p of [...open.pending.values()]) p.reject(err);
      });
    });
  }

  #drop(open: Open, why: string, code?: number): void {
    if (this.#open === open) this.#open = undefined;
    clearInterval(open.pinger);
    const err = new SessionClosedError(`the node session was dropped: ${why}`);
    for (const p of [...open.pending.values()]) p.reject(err);
    if (code) open.ws.close(code, why);
    else open.ws.terminate();
  }
}

/** Whether an upgrade's refusal is the platform's error answer (`{error: {code, message}}`), not a proxy's. */
function isPlatformError(text: string): boolean {
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown } };
    return typeof parsed.error?.code === "string";
  } catch {
    return false;
  }
}
