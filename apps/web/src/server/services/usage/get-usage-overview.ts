import { sql } from "@proofgrid/db/sql-client";
import { loadUsageJobBuckets, loadUsageSpendBuckets, orgHasJobs, type UsageJobBucketRow } from "@proofgrid/db/usage/usage-overview-rows";
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
  const [jobRows, spendRows, hasJobs] = await Promise.all([
    loadUsageJobBuckets(sql(), { orgId: opts.orgId, fromMs, toMs, bucketMs: w.bucketMs, buckets: w.buckets }),
    loadUsageSpendBuckets(sql(), {
      fromMs,
      toMs,
      bucketMs: w.bucketMs,
      accountCodes: customerAccountCodes(opts.orgId),
      transferKinds: SPEND_TRANSFER_KINDS,
    }),
    orgHasJobs(sql(), { orgId: opts.orgId }),
  ]);

  const spendByBucket = new Map(spendRows.map((r) => [r.i, BigInt(r.spend)]));
  let totalSpend = 0n;
  const buckets: UsageBucket[] = [];
  let totalsRow: UsageJobBucketRow | undefined;
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
  const empty: UsageJobBucketRow = { i: null, finished: 0, succeeded: 0, failed: 0, canceled: 0, p50_ms: null, p95_ms: null };
  return {
    window,
    bucket: w.bucket,
    from: new Date(fromMs).toISOString(),
    to: new Date(toMs).toISOString(),
    buckets,
    totals: counts(totalsRow ?? empty, totalSpend),
    hasJobs,
  };
}

function counts(row: UsageJobBucketRow, spend: bigint): UsageCounts {
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
