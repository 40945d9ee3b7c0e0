import { sql } from "@proofgrid/db/sql-client";
import {
  customerAccountCodes,
  SPEND_TRANSFER_KINDS,
  type TUsageOverviewRequest,
  USAGE_WINDOWS,
  type UsageWindow,
  windowBounds,
  ZUsageOverviewRequest,
} from "./usage-window.ts";

export interface UsageCounts {
  /** Base units charged, refunds and re-run grants subtracted (may be negative in a bucket with a refund). */
  spend: string;
  /** Jobs that ran to an outcome: succeeded + failed (a failed job includes one that expired). */
  finished: number;
  succeeded: number;
  failed: number;
  /** Canceled by the customer: not counted against the success rate. */
  canceled: number;
  /** succeeded / finished, 0..1; null when nothing finished. */
  successRate: number | null;
  /** Time to result (created_at → finished_at, queueing included) of succeeded jobs, ms. */
  p50Ms: number | null;
  p95Ms: number | null;
}

export interface UsageBucket extends UsageCounts {
  /** Start of the bucket, ISO 8601 UTC. */
  start: string;
}

export interface UsageOverview {
  window: UsageWindow;
  bucket: "hour" | "day";
  from: string;
  to: string;
  buckets: UsageBucket[];
  totals: UsageCounts;
  /** Whether the organisation has submitted any job, ever: a new one gets an empty state, not empty axes. */
  hasJobs: boolean;
}

interface Row {
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
 * One organisation's usage over a window, bucket by bucket: spend from the ledger, jobs by
 * when they finished, and time-to-result percentiles, all computed in Postgres. Buckets with
 * nothing in them come back as zeros (generate_series), so the charts line up with the clock.
 * `orgId` must come from the caller's authentication, never from the request.
 */
export async function getUsageOverview(opts: { orgId: string; request: TUsageOverviewRequest; now?: number }): Promise<UsageOverview> {
  const { window } = ZUsageOverviewRequest.parse(opts.request);
  const w = USAGE_WINDOWS[window];
  const { fromMs, toMs } = windowBounds(window, opts.now ?? Date.now());
  // Timestamps are stored as UTC `timestamp` (no zone): bounds are built the same way and
  // buckets counted in epoch milliseconds, so the server's TimeZone setting changes nothing.
  const [jobRows, spendRows, any] = await Promise.all([
    sql().$queryRaw<Row[]>`
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
      ORDER BY 1 NULLS LAST`,
    sql().$queryRaw<{ i: number; spend: string }[]>`
      SELECT floor((extract(epoch FROM t.created_at) * 1000 - ${fromMs}::float8) / ${w.bucketMs}::float8)::int AS i,
             (-sum(e.amount))::text AS spend
      FROM ledger_accounts a
      JOIN ledger_entries e ON e.account_id = a.id
      JOIN ledger_transfers t ON t.id = e.transfer_id
      WHERE a.code = ANY(${customerAccountCodes(opts.orgId)}::text[])
        AND t.kind = ANY(${[...SPEND_TRANSFER_KINDS]}::text[])
        AND t.created_at >= (to_timestamp(${fromMs}::float8 / 1000) AT TIME ZONE 'UTC')
        AND t.created_at < (to_timestamp(${toMs}::float8 / 1000) AT TIME ZONE 'UTC')
      GROUP BY 1`,
    sql().$queryRaw<{ exists: boolean }[]>`SELECT EXISTS (SELECT 1 FROM jobs WHERE org_id = ${opts.orgId}::uuid) AS exists`,
  ]);

  const spendByBucket = new Map(spendRows.map((r) => [r.i, BigInt(r.spend)]));
  let totalSpend = 0n;
  const buckets: UsageBucket[] = [];
  let totalsRow: Row | undefined;
  for (const row of jobRows) {
    if (row.i === null) {
      totalsRow = row;
      continue;
    }
    const spend = spendByBucket.get(row.i) ?? 0n;
    totalSpend += spend;
    buckets.push({ start: new Date(fromMs + row.i * w.bucketMs).toISOString(), ...counts(row, spend) });
  }
  if (buckets.length !== w.buckets) throw new Error(`usage overview: ${buckets.length} buckets, expected ${w.buckets}`);
  const empty: Row = { i: null, finished: 0, succeeded: 0, failed: 0, canceled: 0, p50_ms: null, p95_ms: null };
  return {
    window,
    bucket: w.bucket,
    from: new Date(fromMs).toISOString(),
    to: new Date(toMs).toISOString(),
    buckets,
    totals: counts(totalsRow ?? empty, totalSpend),
    hasJobs: any[0]?.exists === true,
  };
}

function counts(row: Row, spend: bigint): UsageCounts {
  const ms = (v: number | null) => (v === null ? null : Math.round(Number(v)));
  return {
    spend: spend.toString(),
    finished: row.finished,
    succeeded: row.succeeded,
    failed: row.failed,
    canceled: row.canceled,
    successRate: row.finished > 0 ? row.succeeded / row.finished : null,
    p50Ms: ms(row.p50_ms),
    p95Ms: ms(row.p95_ms),
  };
}
