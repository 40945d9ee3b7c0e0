import type { Db } from "../db-types.ts";
import { queryFragment, sqlFragment } from "../sql-fragment.ts";

/** What an API request's key is checked against: the key and its organisation's request limit. */
export interface ApiKeyAuthRow {
  id: string;
  org_id: string;
  scopes: string[];
  revoked_at: Date | null;
  last_used_at: Date | null;
  /** organizations.api_requests_per_minute: null means the platform's default. */
  api_requests_per_minute: number | null;
  /** Requests of this key counted in its current window, this one included (null: not
   * counted — a revoked key, or the lookup alone). */
  window_points: number | null;
  /** When the window ends, ms since the epoch (int8: a string or a bigint by client). */
  window_expire: bigint | string | null;
}

/**
 * The key whose secret hashes to `secretHash`, with its organisation's limit, and with
 * `count` the request counted against the key's fixed window, in one statement: every API
 * request asks this first. The count is the `rate_limits` row `<countAs><key id>` exactly as
 * rate-limiter-flexible's RateLimiterPostgres keeps it (points, expire in epoch ms; a window
 * that has ended starts again at 1), so the sign-in limits and this share one table and one
 * format. An unknown or revoked key counts nothing. Without `count`, the lookup alone
 * (`window_points` null).
 */
export async function loadApiKeyForAuth(
  db: Db,
  opts: { secretHash: string; count?: { countAs: string; windowMs: number; now?: number } },
): Promise<ApiKeyAuthRow | null> {
  const lookup = sqlFragment`
      SELECT k.id, k.org_id, k.scopes, k.revoked_at, k.last_used_at, o.api_requests_per_minute
      FROM api_keys k JOIN organizations o ON o.id = k.org_id
      WHERE k.secret_hash = ${opts.secretHash}`;
  const { count } = opts;
  if (!count) {
    const rows = await queryFragment<ApiKeyAuthRow[]>(
      db,
      sqlFragment`SELECT l.*, NULL::int AS window_points, NULL::bigint AS window_expire FROM (${lookup}) l`,
    );
    return rows[0] ?? null;
  }
  const now = BigInt(count.now ?? Date.now());
  const expire = now + BigInt(count.windowMs);
  const rows = await queryFragment<ApiKeyAuthRow[]>(
    db,
    sqlFragment`
    WITH k AS (${lookup}), counted AS (
      INSERT INTO rate_limits (key, points, expire)
      SELECT ${count.countAs} || k.id::text, 1, ${expire}::bigint FROM k WHERE k.revoked_at IS NULL
      ON CONFLICT (key) DO UPDATE SET
        points = CASE WHEN rate_limits.expire <= ${now}::bigint THEN 1 ELSE rate_limits.points + 1 END,
        expire = CASE WHEN rate_limits.expire <= ${now}::bigint THEN ${expire}::bigint ELSE rate_limits.expire END
      RETURNING points, expire
    )
    SELECT k.*, c.points AS window_points, c.expire AS window_expire FROM k LEFT JOIN counted c ON true`,
  );
  return rows[0] ?? null;
}
