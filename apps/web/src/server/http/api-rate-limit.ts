import { AsyncLocalStorage } from "node:async_hooks";
import { getPgPool } from "@proofgrid/db/sql-client";
import type pg from "pg";
import { RateLimiterPostgres, RateLimiterRes } from "rate-limiter-flexible";
import { getEnv } from "../env.ts";
import { AppError } from "../errors.ts";
import { logger } from "../logger.ts";

// Per-API-key request limits (issue 16): a fixed window of a minute per key, counted in
// Postgres (rate-limiter-flexible's store, the rate_limits table the sign-in limits use) so it
// holds across every web process. The limit is the organisation's
// (organizations.api_requests_per_minute, set with `npm run admin -- set-rate-limit`), else
// API_KEY_REQUESTS_PER_MINUTE. Every answer to a request made with a key says where it stands
// (IETF draft-ietf-httpapi-ratelimit-headers, the RateLimit-Limit/-Remaining/-Reset fields and
// RateLimit-Policy), and a request past the limit is a 429 with Retry-After that runs nothing.

const WINDOW_S = 60;

/** The response headers of the request being handled (set by `withApiHeaders`). */
const responseHeaders = new AsyncLocalStorage<Headers>();

/**
 * Runs a route handler with a place for the headers authentication adds (the rate limit's),
 * and puts them on its response, an error's included.
 */
export async function withApiHeaders(fn: () => Promise<Response>, onError: (err: unknown) => Response): Promise<Response> {
  const extra = new Headers();
  const res = await responseHeaders.run(extra, async () => {
    try {
      return await fn();
    } catch (err) {
      return onError(err);
    }
  });
  extra.forEach((value, name) => {
    res.headers.set(name, value);
  });
  return res;
}

let cached: { pool: pg.Pool; defaultLimit: number; limiters: Map<number, RateLimiterPostgres> } | undefined;

function limiterFor(limit: number): RateLimiterPostgres {
  const pool = getPgPool();
  if (cached?.pool !== pool) {
    cached = { pool, defaultLimit: getEnv().API_KEY_REQUESTS_PER_MINUTE, limiters: new Map() };
  }
  let limiter = cached.limiters.get(limit);
  if (!limiter) {
    limiter = new RateLimiterPostgres({
      storeClient: pool,
      storeType: "pool",
      tableName: "rate_limits",
      tableCreated: true,
      keyPrefix: "apikey",
      points: limit,
      duration: WINDOW_S,
      // Once a key is past its limit, its further tries are refused without a query.
      inMemoryBlockOnConsumed: limit,
      inMemoryBlockDuration: WINDOW_S,
    });
    cached.limiters.set(limit, limiter);
  }
  return limiter;
}

/** The limit that applies to a key of an organisation with `orgLimit` (null: the default). */
export function effectiveLimit(orgLimit: number | null): number {
  if (orgLimit !== null) return orgLimit;
  return cached?.defaultLimit ?? getEnv().API_KEY_REQUESTS_PER_MINUTE;
}

function setHeaders(limit: number, res: RateLimiterRes): void {
  const h = responseHeaders.getStore();
  if (!h) return;
  const reset = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  h.set("ratelimit-limit", String(limit));
  h.set("ratelimit-remaining", String(Math.max(0, res.remainingPoints)));
  h.set("ratelimit-reset", String(reset));
  h.set("ratelimit-policy", `${limit};w=${WINDOW_S}`);
}

/**
 * Counts one request of `keyId` against its limit: sets the RateLimit headers of the answer,
 * and past the limit throws RATE_LIMITED (429, Retry-After). If the store cannot be reached,
 * the request goes through (logged): the limit protects the service, which an unreachable
 * database has already stopped.
 */
export async function consumeApiKeyRequest(keyId: string, orgLimit: number | null): Promise<void> {
  const limit = effectiveLimit(orgLimit);
  let res: RateLimiterRes;
  try {
    res = await limiterFor(limit).consume(keyId, 1);
  } catch (err) {
    if (err instanceof RateLimiterRes) {
      setHeaders(limit, err);
      const retryAfterSeconds = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
      throw new AppError(
        "RATE_LIMITED",
        `this API key made more than ${limit} requests in a minute: wait ${retryAfterSeconds} s, then retry`,
        {
          retryAfterSeconds,
          limit,
        },
      );
    }
    logger.warn({ err: String(err) }, "API rate limit not counted: its store is unreachable");
    return;
  }
  setHeaders(limit, res);
}

/** Sets an organisation's per-key limit (requests per minute), or back to the default with null. */
export async function setOrgApiRateLimit(slug: string, perMinute: number | null): Promise<{ org: string; perMinute: number }> {
  if (perMinute !== null && (!Number.isInteger(perMinute) || perMinute < 1 || perMinute > 10_000_000)) {
    throw new AppError("BAD_REQUEST", "the limit must be a whole number of requests per minute from 1 to 10 000 000");
  }
  const { db } = await import("../db.ts");
  const r = await db().organization.updateMany({ where: { slug }, data: { apiRequestsPerMinute: perMinute } });
  if (r.count === 0) throw new AppError("NOT_FOUND", `no organisation '${slug}'`);
  return { org: slug, perMinute: effectiveLimit(perMinute) };
}
