import { signRequest } from "@proofgrid/por";
import type { NodeIdentity } from "../identity/node-identity.ts";

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

export interface RetryOptions {
  signal?: AbortSignal;
  maxDelayMs: number;
  /** Give up after this many attempts (network errors and 5xx only). */
  maxAttempts?: number;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

/** Signed HTTP+JSON calls to the platform's node protocol. */
export class NodeClient {
  constructor(
    private readonly identity: NodeIdentity,
    private readonly requestTimeoutMs: number,
  ) {}

  async post<T>(path: string, payload: unknown, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<T> {
    const body = Buffer.from(JSON.stringify(payload));
    const headers = signRequest({
      nodeId: this.identity.nodeId,
      privateKey: this.identity.privateKey,
      method: "POST",
      path,
      body,
    });
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? this.requestTimeoutMs);
    const res = await fetch(new URL(path, this.identity.url), {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body,
      signal: opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout,
    });
    const text = await res.text();
    if (!res.ok) {
      let code = "HTTP_ERROR";
      let message = text.slice(0, 500);
      try {
        const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
        code = parsed.error?.code ?? code;
        message = parsed.error?.message ?? message;
      } catch {
        // not JSON: keep the text
      }
      throw new PlatformError(res.status, code, `${path}: ${res.status} ${message}`);
    }
    return JSON.parse(text) as T;
  }

  /** Retries network failures and 5xx with capped exponential backoff and full jitter. */
  async postWithRetry<T>(path: string, payload: unknown, retry: RetryOptions & { timeoutMs?: number }): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.post<T>(path, payload, { signal: retry.signal, timeoutMs: retry.timeoutMs });
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
