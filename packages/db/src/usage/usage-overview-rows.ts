import type { Db } from "../db-types.ts";

// Timestamps are stored as UTC `timestamp` (no zone): bounds are built the same way and
// buckets counted in epoch milliseconds, so the server's TimeZone setting changes nothing.

/** A window's bucket layout: [fromMs, toMs) cut into `buckets` of `bucketMs`. */
export interface UsageBuckets {
  fromMs: number;
  toMs: number;
  bucketMs: number;
  buckets: number;
}

/** Finished jobs of one bucket, or (i null) of the whole window. */
export interface UsageJobBucketRow {
  /** Bucket index from the window's start; null on the grouping set of the whole window. */
  i: number | null;
  finished: number;
  succeeded: number;
  failed: number;
  canceled: number;
  p50_ms: number | null;
  p95_ms: number | null;
}

/**
 * The organisation's jobs by the bucket they finished in: counts by outcome and the time
 * to result (created_at → finished_at) percentiles of succeeded ones. Every bucket comes
 * back (zeros where nothing finished, via generate_series), in order, then the whole
 * window's row (i = null).
 */
export async function loadUsageJobBuckets(db: Db, opts: { orgId: string } & UsageBuckets): Promise<UsageJobBucketRow[]> {
  const { fromMs, toMs } = opts;
  const w = { bucketMs: opts.bucketMs, buckets: opts.buckets };
  return db.$queryRaw<UsageJobBucketRow[]>`
    WITH j AS (
      SELECT floor((extract(epoch FROM finished_at) * 1000 - ${fromMs}::float8) / ${w.bucketMs}::float8)::int AS i,
             state::text AS state,
             extract(epoch FROM finished_at - created_at)::float8 * 1000 AS ms
      FROM jobs
      WHERE org_id = ${opts.orgId}::uuid
        AND finished_at >= (to_timestamp(${fromMs}::float8 / 1000) AT TIME ZONE 'UTC')
        AND finished_at < (to_timestamp(${toMs}::float8 / 1000) AT TIME ZONE 'UTC')
        AND state IN ('succeeded', 'failed', 'expired', 'canceled')
    ), per AS (
      SELECT i,
             count(*) FILTER (WHERE state <> 'canceled')::int AS finished,
             count(*) FILTER (WHERE state = 'succeeded')::int AS succeeded,
             count(*) FILTER (WHERE state IN ('failed', 'expired'))::int AS failed,
             count(*) FILTER (WHERE state = 'canceled')::int AS canceled,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE state = 'succeeded') AS p50_ms,
             percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) FILTER (WHERE state = 'succeeded') AS p95_ms
      FROM j
      GROUP BY GROUPING SETS ((i), ())
    )
    SELECT b.i, coalesce(per.finished, 0) AS finished, coalesce(per.succeeded, 0) AS succeeded,
           coalesce(per.failed, 0) AS failed, coalesce(per.canceled, 0) AS canceled, per.p50_ms, per.p95_ms
    FROM generate_series(0, ${w.buckets - 1}::int) AS b(i)
    LEFT JOIN per ON per.i = b.i
    UNION ALL
    SELECT NULL, finished, succeeded, failed, canceled, p50_ms, p95_ms FROM per WHERE per.i IS NULL
    ORDER BY 1 NULLS LAST`;
}

export interface LoadUsageSpendBucketsOptions {
  fromMs: number;
  toMs: number;
  bucketMs: number;
  /** The customer's ledger account codes whose entries count as spend. */
  accountCodes: readonly string[];
  /** The transfer kinds that count as spend (charges, refunds, re-run grants). */
  transferKinds: readonly string[];
}

/** Spend per bucket (by when the transfer was posted), as decimal text; buckets with none are left out. */
export async function loadUsageSpendBuckets(db: Db, opts: LoadUsageSpendBucketsOptions): Promise<{ i: number; spend: string }[]> {
  const { fromMs, toMs } = opts;
  const w = { bucketMs: opts.bucketMs };
  return db.$queryRaw<{ i: number; spend: string }[]>`
    SELECT floor((extract(epoch FROM t.created_at) * 1000 - ${fromMs}::float8) / ${w.bucketMs}::float8)::int AS i,
           (-sum(e.amount))::text AS spend
    FROM ledger_accounts a
    JOIN ledger_entries e ON e.account_id = a.id
    JOIN ledger_transfers t ON t.id = e.transfer_id
    WHERE a.code = ANY(${[...opts.accountCodes]}::text[])
      AND t.kind = ANY(${[...opts.transferKinds]}::text[])
      AND t.created_at >= (to_timestamp(${fromMs}::float8 / 1000) AT TIME ZONE 'UTC')
      AND t.created_at < (to_timestamp(${toMs}::float8 / 1000) AT TIME ZONE 'UTC')
    GROUP BY 1`;
}

/** Whether the organisation has submitted any job, ever. */
export async function orgHasJobs(db: Db, opts: { orgId: string }): Promise<boolean> {
  const any = await db.$queryRaw<{ exists: boolean }[]>`SELECT EXISTS (SELECT 1 FROM jobs WHERE org_id = ${opts.orgId}::uuid) AS exists`;
  return any[0]?.exists === true;
}
