import { AsyncLocalStorage } from "node:async_hooks";
import { LRUCache } from "lru-cache";
import { getEnv } from "../env.ts";
import { AppError } from "../errors.ts";

// Per-API-key request limits (issue 16): a fixed window of a minute per key, counted in
// Postgres (the rate_limits table the sign-in limits keep with rate-limiter-flexible, in its
// format) so it holds across every web process; the count is part of the key's lookup, one
// statement per request (issue 15). The limit is the organisation's
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

/** The `rate_limits` key of an API key's count: `apikey:<key id>`, rate-limiter-flexible's `<keyPrefix>:<key>`. */
export const API_KEY_COUNT_PREFIX = "apikey:";
export const API_KEY_WINDOW_MS = WINDOW_S * 1000;

/** The limit that applies to a key of an organisation with `orgLimit` (null: the default). */
export function effectiveLimit(orgLimit: number | null): number {
  if (orgLimit !== null) return orgLimit;
  return getEnv().API_KEY_REQUESTS_PER_MINUTE;
}

// Keys that reached their limit, by secret hash, until their window ends: their further
// requests are refused here without a query (rate-limiter-flexible's in-memory block, kept
// per process). Bounded: a flood of distinct keys cannot grow it without end.
const blocked = new LRUCache<string, { limit: number; until: number }>({ max: 10_000 });

function setHeaders(limit: number, remaining: number, msBeforeNext: number): void {
  const h = responseHeaders.getStore();
  if (!h) return;
  const reset = Math.max(1, Math.ceil(msBeforeNext / 1000));
  h.set("ratelimit-limit", String(limit));
  h.set("ratelimit-remaining", String(Math.max(0, remaining)));
  h.set("ratelimit-reset", String(reset));
  h.set("ratelimit-policy", `${limit};w=${WINDOW_S}`);
}

function rateLimited(limit: number, msBeforeNext: number): AppError {
  setHeaders(limit, 0, msBeforeNext);
  const retryAfterSeconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
  return new AppError(
    "RATE_LIMITED",
    `this API key made more than ${limit} requests in a minute: wait ${retryAfterSeconds} s, then retry`,
    {
      retryAfterSeconds,
      limit,
    },
  );
}

/** A key already past its limit in this window (seen by this process): RATE_LIMITED before any query. */
export function refuseBlockedApiKey(secretHash: string): void {
  const b = blocked.get(secretHash);
  if (!b) return;
  const left = b.until - Date.now();
  if (left <= 0) {
    blocked.delete(secretHash);
    return;
  }
  throw rateLimited(b.limit, left);
}

/**
 * The verdict on one request of a key, counted by the authentication's statement
 * (`loadApiKeyForAuth`: `points` requests in the window that ends at `expire`): sets the
 * RateLimit headers of the answer, and past the limit throws RATE_LIMITED (429,
 * Retry-After). A key that has used its whole limit is refused from memory until its window
 * ends.
 */
export function judgeApiKeyRequest(secretHash: string, orgLimit: number | null, points: number, expire: bigint | string | null): void {
  const limit = effectiveLimit(orgLimit);
  const msBeforeNext = expire === null ? WINDOW_S * 1000 : Math.max(0, Number(expire) - Date.now());
  if (points >= limit) blocked.set(secretHash, { limit, until: Date.now() + msBeforeNext });
  if (points > limit) throw rateLimited(limit, msBeforeNext);
  setHeaders(limit, limit - points, msBeforeNext);
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
