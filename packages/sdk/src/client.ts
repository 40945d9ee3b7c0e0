// The Proofgrid client: typed calls over openapi-fetch (the types come from the platform's
// OpenAPI document, src/generated/schema.d.ts), with automatic idempotency keys, retries and
// typed errors. fetch only, no Node built-ins: it runs in Node ≥ 20 and in browsers.
import createClient from "openapi-fetch";
import { ConnectionError, errorFromResponse, JobFailedError, ProofgridError, WaitTimeoutError } from "./errors.ts";
import type { components, paths } from "./generated/schema.d.ts";
import {
  type ResolvedRetryOptions,
  type RetryEvent,
  type RetryOptions,
  parseRetryAfter,
  resolveRetryOptions,
  retryingFetch,
} from "./retry.ts";

/** The JSON a successful call of `P` `M` answers. */
type Answer<P extends keyof paths, M extends "get" | "post" | "delete"> = paths[P][M] extends {
  responses: { 200: { content: { "application/json": infer T } } };
}
  ? T
  : paths[P][M] extends { responses: { 201: { content: { "application/json": infer T } } } }
    ? T
    : never;

export type Job = components["schemas"]["Job"];
export type JobState = Job["state"];
export type JobList = Answer<"/api/v1/jobs", "get">;
export type Model = Answer<"/api/v1/models", "get">["models"][number];
export type Balance = Answer<"/api/v1/balance", "get">;
export type PublicKeys = Answer<"/api/v1/public-keys", "get">;

export const DEFAULT_BASE_URL = "http://localhost:3000";
/** The platform holds a long-poll at most this long (GET /api/v1/jobs/:id?wait=). */
export const MAX_SERVER_WAIT_MS = 60_000;
export const TERMINAL_STATES: ReadonlySet<string> = new Set(["succeeded", "failed", "canceled", "expired"]);

export interface ProofgridOptions {
  /** An API key (`pg_…`) with the scopes the calls need (jobs:write, jobs:read, models:read, billing:read). */
  apiKey: string;
  /** The platform's origin, e.g. `https://proofgrid.example`. Default http://localhost:3000. */
  baseUrl?: string;
  retry?: RetryOptions;
  /** Each attempt's timeout (a long-poll adds its wait to it). Default 30 s. */
  timeoutMs?: number;
  /** A fetch to use instead of the global one. */
  fetch?: typeof globalThis.fetch;
  /** Called before each retry: for logging. */
  onRetry?: (event: RetryEvent) => void;
  /** Makes the idempotency keys of POSTs; default crypto.randomUUID. */
  idempotencyKey?: () => string;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** This call's attempt timeout, instead of the client's. */
  timeoutMs?: number;
}

export interface SubmitOptions extends CallOptions {
  /** The key the platform deduplicates this submit by (24 h). Default: a new UUID per call,
   * kept across the call's retries. Pass your own to make a retry of the whole call (after a
   * crash, say) return the same job. */
  idempotencyKey?: string;
}

export interface WaitOptions extends CallOptions {
  /** Give up (WaitTimeoutError) after this long. Default 10 minutes. */
  waitTimeoutMs?: number;
}

export type SubmitJobRequest = paths["/api/v1/jobs"]["post"]["requestBody"]["content"]["application/json"];
export type ListJobsQuery = NonNullable<paths["/api/v1/jobs"]["get"]["parameters"]["query"]>;

export interface JobReceipt {
  jobId: string;
  /** The worker's receipt, countersigned by the platform; null until the job succeeded. */
  receipt: unknown;
  /** What the receipt vouches for, as the API returned it. */
  job: Job;
  /** The platform's public key, and the worker's (when the job ran on one). */
  keys: PublicKeys;
}

/** The longest wait a caller may ask of jobs.wait: a day. */
const MAX_WAIT_TIMEOUT_MS = 86_400_000;
const DEFAULT_WAIT_TIMEOUT_MS = 10 * 60_000;
/** How long an attempt may take beyond the time the server holds a long-poll. */
const LONG_POLL_SLACK_MS = 15_000;

type Api = ReturnType<typeof createClient<paths>>;

export class Proofgrid {
  readonly baseUrl: string;
  readonly jobs: Jobs;
  readonly models: Models;
  readonly balance: BalanceApi;
  readonly publicKeys: PublicKeysApi;
  /** @internal */
  readonly api: Api;
  /** @internal */
  readonly retry: ResolvedRetryOptions;
  private readonly opts: ProofgridOptions;

  constructor(opts: ProofgridOptions) {
    if (typeof opts.apiKey !== "string" || opts.apiKey.length === 0) throw new TypeError("Proofgrid: apiKey is required");
    if (opts.apiKey.length > 256 || /\s/.test(opts.apiKey)) throw new TypeError("Proofgrid: apiKey is not an API key");
    const baseUrl = new URL(opts.baseUrl ?? DEFAULT_BASE_URL);
    if (baseUrl.protocol !== "http:" && baseUrl.protocol !== "https:") throw new TypeError("Proofgrid: baseUrl must be http(s)");
    this.baseUrl = baseUrl.origin + baseUrl.pathname.replace(/\/+$/, "");
    this.opts = opts;
    this.retry = resolveRetryOptions(opts.retry);
    this.api = createClient<paths>({ baseUrl: this.baseUrl, headers: { authorization: `Bearer ${opts.apiKey}` } });
    this.jobs = new Jobs(this);
    this.models = new Models(this);
    this.balance = new BalanceApi(this);
    this.publicKeys = new PublicKeysApi(this);
  }

  /** @internal The fetch for one logical call: its retries, its attempts' timeout, its signal. */
  fetchFor(call: CallOptions = {}, extraTimeoutMs = 0): (request: Request) => Promise<Response> {
    return retryingFetch({
      retry: this.retry,
      attempt: { signal: call.signal, timeoutMs: (call.timeoutMs ?? this.opts.timeoutMs ?? 30_000) + extraTimeoutMs },
      fetch: this.opts.fetch,
      onRetry: this.opts.onRetry,
    });
  }

  /** @internal A new idempotency key. */
  newIdempotencyKey(): string {
    return this.opts.idempotencyKey?.() ?? globalThis.crypto.randomUUID();
  }
}

/** openapi-fetch's answer → the data, or the typed error. */
async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<{ data: T; response: Response }> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch (err) {
    if (err instanceof ProofgridError) throw err;
    if (isAbort(err)) throw err;
    throw connectionError(err);
  }
  const { data, error, response } = result;
  if (!response.ok) throw errorFromResponse(response, error, parseRetryAfter(response.headers.get("retry-after")));
  if (data === undefined) throw new ProofgridError({ status: response.status, code: null, message: "empty answer", requestId: null });
  return { data, response };
}

function isAbort(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { name?: unknown }).name === "AbortError";
}

function connectionError(err: unknown): ProofgridError {
  const message = err instanceof Error ? err.message : String(err);
  return new ConnectionError({
    status: null,
    code: null,
    message: `no answer from the platform: ${message}`,
    requestId: null,
    cause: err,
  });
}

class Jobs {
  constructor(private readonly c: Proofgrid) {}

  /** Submits a job (`{ model, input }`); 201 → the job, queued. Safe to retry: see SubmitOptions.idempotencyKey. */
  async submit(request: SubmitJobRequest, opts: SubmitOptions = {}): Promise<Job> {
    return this.#post(request, opts, undefined);
  }

  /** The submit; with `waitMs`, a synchronous one (`?wait=`): the answer waits up to that for the job to finish. */
  async #post(request: SubmitJobRequest, opts: SubmitOptions, waitMs: number | undefined): Promise<Job> {
    const key = opts.idempotencyKey ?? this.c.newIdempotencyKey();
    const { data } = await unwrap(
      this.c.api.POST("/api/v1/jobs", {
        body: request,
        params: { header: { "idempotency-key": key }, ...(waitMs === undefined ? {} : { query: { wait: waitMs } }) },
        fetch: this.c.fetchFor(opts, waitMs === undefined ? 0 : waitMs + LONG_POLL_SLACK_MS),
      }),
    );
    return data;
  }

  /** The job as it is now, with its output once it succeeded. */
  async get(id: string, opts: CallOptions = {}): Promise<Job> {
    const { data } = await unwrap(this.c.api.GET("/api/v1/jobs/{id}", { params: { path: { id } }, fetch: this.c.fetchFor(opts) }));
    return data;
  }

  /**
   * Waits until the job is finished (succeeded, failed, canceled or expired) by long-polling
   * (`?wait=`, at most 60 s a request): no busy polling, an answer as soon as it ends.
   */
  async wait(id: string, opts: WaitOptions = {}): Promise<Job> {
    const total = opts.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
    if (!Number.isFinite(total) || total < 0 || total > MAX_WAIT_TIMEOUT_MS)
      throw new RangeError(`waitTimeoutMs must be between 0 and ${MAX_WAIT_TIMEOUT_MS}`);
    const deadline = Date.now() + total;
    for (;;) {
      const waitMs = Math.max(0, Math.min(MAX_SERVER_WAIT_MS, deadline - Date.now()));
      const { data } = await unwrap(
        this.c.api.GET("/api/v1/jobs/{id}", {
          params: { path: { id }, query: { wait: Math.ceil(waitMs) } },
          fetch: this.c.fetchFor(opts, waitMs + LONG_POLL_SLACK_MS),
        }),
      );
      if (TERMINAL_STATES.has(data.state)) return data;
      if (Date.now() >= deadline) throw new WaitTimeoutError(id, data.state, total);
    }
  }

  /** submit + wait: the finished job, its output in `output`. A job that did not succeed throws JobFailedError. */
  async run(request: SubmitJobRequest, opts: SubmitOptions & WaitOptions = {}): Promise<Job> {
    const total = opts.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
    if (!Number.isFinite(total) || total < 0 || total > MAX_WAIT_TIMEOUT_MS)
      throw new RangeError(`waitTimeoutMs must be between 0 and ${MAX_WAIT_TIMEOUT_MS}`);
    const deadline = Date.now() + total;
    // One request for a job that ends within a minute: the submit itself waits (`?wait=`);
    // a longer one is then long-polled.
    const job = await this.#post(request, opts, Math.ceil(Math.min(MAX_SERVER_WAIT_MS, total)));
    const done = TERMINAL_STATES.has(job.state)
      ? job
      : await this.wait(job.id, { ...opts, waitTimeoutMs: Math.max(0, deadline - Date.now()) });
    if (done.state !== "succeeded") throw new JobFailedError(done);
    return done;
  }

  /** The organisation's jobs, newest first; pass `nextCursor` back as `cursor` for the next page. */
  async list(query: ListJobsQuery = {}, opts: CallOptions = {}): Promise<JobList> {
    const { data } = await unwrap(this.c.api.GET("/api/v1/jobs", { params: { query }, fetch: this.c.fetchFor(opts) }));
    return data;
  }

  /** Cancels a job that has not finished (its hold is released); a finished one is returned as it is. */
  async cancel(id: string, opts: CallOptions = {}): Promise<Job> {
    const { data } = await unwrap(this.c.api.DELETE("/api/v1/jobs/{id}", { params: { path: { id } }, fetch: this.c.fetchFor(opts) }));
    return data;
  }

  /**
   * The job's receipt with everything needed to check it offline: the job (output, hashes)
   * and the public keys. Check it with `verifyReceipt` from `@proofgrid/sdk/verify` (Node).
   */
  async receipt(id: string, opts: CallOptions = {}): Promise<JobReceipt> {
    const job = await this.get(id, opts);
    const keys = await this.c.publicKeys.get(job.workerId ?? undefined, opts);
    return { jobId: job.id, receipt: job.receipt ?? null, job, keys };
  }
}

class Models {
  constructor(private readonly c: Proofgrid) {}

  /** The catalog: each model's slug, kind, input signature and base price. */
  async list(opts: CallOptions = {}): Promise<Model[]> {
    const { data } = await unwrap(this.c.api.GET("/api/v1/models", { fetch: this.c.fetchFor(opts) }));
    return data.models;
  }
}

class BalanceApi {
  constructor(private readonly c: Proofgrid) {}

  /** The organisation's balances, in token base units (1 token = 10^6) as decimal strings. */
  async get(opts: CallOptions = {}): Promise<Balance> {
    const { data } = await unwrap(this.c.api.GET("/api/v1/balance", { fetch: this.c.fetchFor(opts) }));
    return data;
  }
}

class PublicKeysApi {
  constructor(private readonly c: Proofgrid) {}

  /** The platform's public key, and a worker node's with `nodeId`. */
  async get(nodeId?: string, opts: CallOptions = {}): Promise<PublicKeys> {
    const { data } = await unwrap(
      this.c.api.GET("/api/v1/public-keys", {
        params: { query: nodeId === undefined ? {} : { node: nodeId } },
        fetch: this.c.fetchFor(opts),
      }),
    );
    return data;
  }
}
