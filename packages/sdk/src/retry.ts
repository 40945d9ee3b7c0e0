// Retries with exponential backoff and jitter, for what a retry can fix: no answer (the
// network failed, the attempt timed out), 429 (after its Retry-After) and 5xx. Every
// request the SDK sends is safe to repeat: reads are reads, a cancel is idempotent, and each
// POST carries an Idempotency-Key that stays the same across its retries (the same Request
// is cloned for each attempt), so the platform answers a repeat with the first answer.

export interface RetryOptions {
  /** Retries after the first attempt; 0 turns retrying off. Default 4. */
  maxRetries?: number;
  /** The first backoff; each retry doubles it. Default 500 ms. */
  baseDelayMs?: number;
  /** The longest backoff. Default 20 s. */
  maxDelayMs?: number;
  /** A Retry-After longer than this is not waited for: the error is thrown. Default 60 s. */
  maxRetryAfterMs?: number;
}

export interface ResolvedRetryOptions {
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  maxRetryAfterMs: number;
}

/** Upper bounds on what a caller may configure: a runaway setting would hang a program. */
const LIMITS = { maxRetries: 20, delayMs: 10 * 60_000 } as const;

export function resolveRetryOptions(opts: RetryOptions = {}): ResolvedRetryOptions {
  const bounded = (v: number | undefined, fallback: number, max: number, what: string) => {
    const n = v ?? fallback;
    if (!Number.isFinite(n) || n < 0 || n > max) throw new RangeError(`retry.${what} must be between 0 and ${max}, not ${v}`);
    return n;
  };
  return {
    maxRetries: Math.floor(bounded(opts.maxRetries, 4, LIMITS.maxRetries, "maxRetries")),
    baseDelayMs: bounded(opts.baseDelayMs, 500, LIMITS.delayMs, "baseDelayMs"),
    maxDelayMs: bounded(opts.maxDelayMs, 20_000, LIMITS.delayMs, "maxDelayMs"),
    maxRetryAfterMs: bounded(opts.maxRetryAfterMs, 60_000, LIMITS.delayMs, "maxRetryAfterMs"),
  };
}

/**
 * The wait before retry `retry` (0 = the first retry): the exponential step base·2^retry,
 * capped, with "equal jitter" (half fixed, half random), so clients that failed together do
 * not come back together and none comes back at once.
 */
export function backoffMs(retry: number, opts: ResolvedRetryOptions, random: () => number = Math.random): number {
  const step = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** Math.min(retry, 30));
  return step / 2 + random() * (step / 2);
}

/** Retry-After as milliseconds: delay-seconds or an HTTP date (RFC 9110 §10.2.3); null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (value === null) return null;
  const text = value.trim();
  if (/^\d{1,10}$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}

/** Statuses worth another attempt. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

export interface AttemptOptions {
  /** The caller's signal: aborting it stops the call, retries included. */
  signal?: AbortSignal;
  /** Each attempt's own timeout; an attempt that runs out is retried like a network failure. */
  timeoutMs: number;
}

/** What a retrying fetch reports of its attempts (for logs, and for tests). */
export interface RetryEvent {
  attempt: number;
  /** The status that was retried, or null for no answer. */
  status: number | null;
  delayMs: number;
  error?: unknown;
}

export class AttemptTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = "AttemptTimeoutError";
  }
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * A fetch for openapi-fetch's `fetch` option that retries one logical request. The last
 * answer is returned as it is (the caller maps a failure to its typed error); when no
 * attempt got an answer, the last attempt's error is thrown.
 */
export function retryingFetch(opts: {
  retry: ResolvedRetryOptions;
  attempt: AttemptOptions;
  fetch?: typeof globalThis.fetch;
  onRetry?: (event: RetryEvent) => void;
  random?: () => number;
}): (request: Request) => Promise<Response> {
  const doFetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
  const { signal, timeoutMs } = opts.attempt;
  return async (request: Request) => {
    // The body is read once per attempt: keep an untouched copy to clone from.
    const original = request.clone();
    for (let attempt = 0; ; attempt++) {
      signal?.throwIfAborted();
      const timeout = new AbortController();
      const timer = setTimeout(() => timeout.abort(new AttemptTimeoutError(timeoutMs)), timeoutMs);
      const signals = signal ? [signal, timeout.signal] : [timeout.signal];
      let response: Response | undefined;
      let failure: unknown;
      try {
        response = await doFetch(new Request(original.clone(), { signal: AbortSignal.any(signals) }));
      } catch (err) {
        // The caller's own abort is final; anything else (network, attempt timeout) may be retried.
        if (signal?.aborted) throw signal.reason;
        failure = timeout.signal.aborted ? timeout.signal.reason : err;
      } finally {
        clearTimeout(timer);
      }
      const retriesLeft = attempt < opts.retry.maxRetries;
      if (response && !isRetryableStatus(response.status)) return response;
      if (!retriesLeft) {
        if (response) return response;
        throw failure;
      }
      let delayMs = backoffMs(attempt, opts.retry, opts.random);
      if (response) {
        const retryAfter = parseRetryAfter(response.headers.get("retry-after"));
        // A server that says when to come back is believed; one asking for too long is not waited for.
        if (retryAfter !== null) {
          if (retryAfter > opts.retry.maxRetryAfterMs) return response;
          delayMs = retryAfter;
        }
        // Free the connection: this answer's body is not read.
        await response.body?.cancel().catch(() => undefined);
      }
      opts.onRetry?.({ attempt, status: response?.status ?? null, delayMs, error: failure });
      await sleep(delayMs, signal);
    }
  };
}
