import { NODE_PROTOCOL, type NodePath, signRequest } from "@proofgrid/por";
import { z } from "zod";
import type { NodeIdentity } from "../identity/node-identity.ts";
import { NodeSessionClient, SessionClosedError, SessionRefusedError, SessionUnsupportedError } from "./node-session.ts";

export class PlatformError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "PlatformError";
  }
  /** 4xx answers are final; 5xx and network failures are worth a retry. */
  get retryable(): boolean {
    return this.status >= 500 || this.status === 429;
  }
}

/**
 * A 2xx reply that is not the protocol's message for its path: not JSON, or not the shape
 * of the path's reply schema (packages/por's node-messages). Never retried: the platform
 * has acted on the request, and asking again would not mend its answer.
 */
export class PlatformReplyError extends PlatformError {
  constructor(path: string, status: number, problem: string) {
    super(status, "MALFORMED_REPLY", `${path}: the platform's reply does not match the node protocol: ${problem.slice(0, 1_000)}`);
    this.name = "PlatformReplyError";
  }
  override get retryable(): boolean {
    return false;
  }
}

export interface PostOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface RetryOptions {
  signal?: AbortSignal;
  maxDelayMs: number;
  /** Give up after this many attempts (network errors and 5xx only). */
  maxAttempts?: number;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

/** A model's bytes from the platform (GET /api/node/models/<sha256>), from `start` on. */
export interface ModelBytes {
  /** Where the body starts in the file: the offset asked for (206), or 0 when the whole file came (200). */
  start: number;
  /** The whole file's size, as the platform gave it. */
  size: number;
  /** The bytes; iterating ends the request, and a stall longer than the request timeout fails it. */
  body: AsyncIterable<Uint8Array>;
}

export interface NodeClientOptions {
  /** Carry the JSON requests on a node session (one WebSocket, node-session.ts) when the platform offers one. */
  session?: boolean;
  /** Told when the session cannot be used and requests go as signed HTTP instead. */
  onSessionFallback?: (reason: string) => void;
}

/** After a session failed to open for a reason other than a refusal, HTTP for this long before trying again. */
const SESSION_RETRY_AFTER_MS = 30_000;

const MODEL_ID = /^[0-9a-f]{64}$/;
const CONTENT_RANGE = /^bytes (\d{1,15})-(\d{1,15})\/(\d{1,15})$/;

/**
 * Calls to the platform's node protocol: JSON requests on the node session when it is on
 * and the platform offers it (one WebSocket, each frame signed; see node-session.ts), else
 * as signed HTTP requests; model downloads always over HTTP (ranged, resumable).
 */
export class NodeClient {
  #session: NodeSessionClient | undefined;
  #sessionRetryAt = 0;

  constructor(
    private readonly identity: NodeIdentity,
    private readonly requestTimeoutMs: number,
    private readonly options: NodeClientOptions = {},
  ) {
    if (options.session) this.#session = new NodeSessionClient(identity, requestTimeoutMs);
  }

  /** Whether requests go on an open node session now. */
  get sessionOpen(): boolean {
    return this.#session?.connected ?? false;
  }

  /** Closes the node session, if any (the node is stopping); later requests go as HTTP. */
  close(): void {
    this.#session?.close();
    this.#session = undefined;
  }

  /** Posts `payload` and returns the reply as `reply` parses it. */
  post<S extends z.ZodType>(path: string, payload: unknown, reply: S, opts?: PostOptions): Promise<z.output<S>>;
  /** For callers that name no schema (tests, tools): the reply is still checked, against the
   * protocol's schema for `path`; `T` is only the caller's view of it. */
  post<T = unknown>(path: NodePath, payload: unknown): Promise<T>;
  async post(path: string, payload: unknown, reply?: z.ZodType, opts: PostOptions = {}): Promise<unknown> {
    const schema: z.ZodType | undefined = reply ?? (Object.hasOwn(NODE_PROTOCOL, path) ? NODE_PROTOCOL[path as NodePath].reply : undefined);
    // A path outside the protocol is a bug in the caller: refuse it before signing anything.
    if (!schema) throw new Error(`${path}: not a node-protocol path, and no reply schema given`);
    const text = JSON.stringify(payload);
    const timeoutMs = opts.timeoutMs ?? this.requestTimeoutMs;
    const session = this.#session;
    if (session && path !== "/api/node/register" && Date.now() >= this.#sessionRetryAt) {
      try {
        const answer = await session.request(path, text, { timeoutMs, signal: opts.signal });
        if (answer.status < 200 || answer.status > 299) throw platformErrorOf(path, answer.status, JSON.stringify(answer.body ?? null));
        return replyOf(path, schema, answer.status, answer.body);
      } catch (err) {
        if (err instanceof SessionRefusedError) throw platformErrorOf(path, err.status, err.text);
        if (err instanceof SessionUnsupportedError) {
          // For good: this platform serves the node protocol over HTTP only.
          this.#session = undefined;
          session.close();
          this.options.onSessionFallback?.(err.message);
        } else if (err instanceof SessionClosedError && err.opening) {
          // It did not open (a proxy that drops upgrades, say): HTTP now, a new try later.
          this.#sessionRetryAt = Date.now() + SESSION_RETRY_AFTER_MS;
          this.options.onSessionFallback?.(err.message);
        } else {
          throw err;
        }
      }
    }
    const body = Buffer.from(text);
    const headers = signRequest({
      nodeId: this.identity.nodeId,
      privateKey: this.identity.privateKey,
      method: "POST",
      path,
      body,
    });
    const timeout = AbortSignal.timeout(timeoutMs);
    const res = await fetch(new URL(path, this.identity.url), {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body,
      signal: opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout,
    });
    const answer = await res.text();
    if (!res.ok) throw platformErrorOf(path, res.status, answer);
    let json: unknown;
    try {
      json = JSON.parse(answer);
    } catch {
      throw new PlatformReplyError(path, res.status, `not JSON: ${JSON.stringify(answer.slice(0, 200))}`);
    }
    return replyOf(path, schema, res.status, json);
  }

  /**
   * Downloads a model by its hash from `fromByte` on (a Range request when > 0), signed like
   * every node request: the signature covers method, path and the empty body, not the Range
   * header. Null when `fromByte` is at or past the end (416). The caller verifies the hash:
   * nothing here trusts the bytes.
   */
  async downloadModel(modelId: string, fromByte: number, opts: { signal?: AbortSignal } = {}): Promise<ModelBytes | null> {
    if (!MODEL_ID.test(modelId)) throw new Error(`downloadModel: not a model id (sha256 hex): ${modelId.slice(0, 80)}`);
    if (!Number.isSafeInteger(fromByte) || fromByte < 0) throw new RangeError(`downloadModel: bad offset ${fromByte}`);
    const path = `/api/node/models/${modelId}`;
    const headers: Record<string, string> = {
      ...signRequest({ nodeId: this.identity.nodeId, privateKey: this.identity.privateKey, method: "GET", path }),
      // Bytes as stored: a compressed body would have no offsets to resume from.
      "accept-encoding": "identity",
    };
    // A Range from 0 too: the answer is then a 206 whose Content-Range carries the file's
    // size, which Next.js keeps, where it drops a route handler's Content-Length (its
    // send-response.js), so a whole-file 200 through the production server had no size.
    headers.range = `bytes=${fromByte}-`;
    // The timeout is between chunks, not for the whole file: a 1 GB model takes minutes, a stall does not.
    const stall = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const rearm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => stall.abort(new Error(`${path}: no bytes for ${this.requestTimeoutMs} ms`)), this.requestTimeoutMs);
    };
    rearm();
    try {
      const res = await fetch(new URL(path, this.identity.url), {
        method: "GET",
        headers,
        signal: opts.signal ? AbortSignal.any([opts.signal, stall.signal]) : stall.signal,
      });
      if (res.status === 416) {
        await res.body?.cancel();
        clearTimeout(timer);
        return null;
      }
      if (!res.ok || !res.body) {
        throw platformErrorOf(path, res.status, (await res.text()).slice(0, 2_000));
      }
      let start = 0;
      let size = Number(res.headers.get("content-length") ?? "NaN");
      if (res.status === 206) {
        const m = CONTENT_RANGE.exec(res.headers.get("content-range") ?? "");
        if (!m) {
          await res.body.cancel();
          throw new PlatformReplyError(path, res.status, `a 206 without a usable Content-Range: ${res.headers.get("content-range")}`);
        }
        start = Number(m[1]);
        size = Number(m[3]);
      }
      if (!Number.isSafeInteger(size) || size < 0) {
        await res.body.cancel();
        throw new PlatformReplyError(path, res.status, "no file size (Content-Length or Content-Range)");
      }
      const stream = res.body;
      async function* body(): AsyncGenerator<Uint8Array> {
        const reader = stream.getReader();
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) return;
            rearm();
            yield value;
          }
        } finally {
          clearTimeout(timer);
          // A consumer that stops early ends the request (a no-op once the body has ended).
          await reader.cancel().catch(() => undefined);
        }
      }
      return { start, size, body: body() };
    } catch (err) {
      clearTimeout(timer);
      throw err;
    }
  }

  /** Retries network failures and 5xx with capped exponential backoff and full jitter. */
  async postWithRetry<S extends z.ZodType>(
    path: string,
    payload: unknown,
    reply: S,
    retry: RetryOptions & { timeoutMs?: number },
  ): Promise<z.output<S>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.post(path, payload, reply, { signal: retry.signal, timeoutMs: retry.timeoutMs });
      } catch (err) {
        if (retry.signal?.aborted) throw err;
        if (err instanceof PlatformError && !err.retryable) throw err;
        if (retry.maxAttempts !== undefined && attempt >= retry.maxAttempts) throw err;
        const delay = Math.random() * Math.min(retry.maxDelayMs, 250 * 2 ** Math.min(attempt, 10));
        retry.onRetry?.(err, attempt, delay);
        await sleep(delay, retry.signal);
      }
    }
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** A 2xx reply parsed by its path's schema. */
function replyOf(path: string, schema: z.ZodType, status: number, json: unknown): unknown {
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new PlatformReplyError(path, status, z.prettifyError(parsed.error));
  return parsed.data;
}

/** The platform's error answer (`{ error: { code, message } }`, or any text) as a PlatformError. */
function platformErrorOf(path: string, status: number, text: string): PlatformError {
  let code = "HTTP_ERROR";
  let message = text.slice(0, 500);
  try {
    const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
    code = parsed.error?.code ?? code;
    message = parsed.error?.message ?? message;
  } catch {
    // not JSON: keep the text
  }
  return new PlatformError(status, code, `${path}: ${status} ${message}`);
}
