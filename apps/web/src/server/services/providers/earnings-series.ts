import { loadEarningsBuckets, loadNodeEarnings } from "@proofgrid/db/nodes/node-earnings";
import { sql } from "@proofgrid/db/sql-client";

/** Hourly bars over a day, or daily bars over two weeks: enough to read, bounded work. */
export const EARNINGS_RANGES = {
  day: { bucket: "hour", buckets: 24, bucketMs: 3_600_000 },
  fortnight: { bucket: "day", buckets: 14, bucketMs: 86_400_000 },
} as const;
export type EarningsRange = keyof typeof EARNINGS_RANGES;

export interface EarningsPoint {
  /** Start of the bucket, ISO 8601 UTC. */
  start: string;
  /** Base units credited to the provider's earnings account in the bucket. */
  amount: string;
}

export interface EarningsSeries {
  range: EarningsRange;
  bucket: "hour" | "day";
  points: EarningsPoint[];
  total: string;
}

/**
 * What a provider earned over time, counted when each payout was earned: job payouts when
 * their job settled (held_earnings: held, then released — a payout clawed back after a
 * fraud does not count), plus other credits to its earnings account (reservation billing,
 * checker rewards, and job settlements from before payouts were held), but not the release
 * of held payouts (counted already). With `nodeId`, only that node's job payouts. Buckets
 * with nothing in them are zeros, so bars line up with the clock.
 */
export async function getEarningsSeries(opts: { orgId: string; range: EarningsRange; nodeId?: string }): Promise<EarningsSeries> {
  const r = EARNINGS_RANGES[opts.range];
  const now = Date.now();
  const end = Math.floor(now / r.bucketMs) * r.bucketMs + r.bucketMs;
  const from = new Date(end - r.buckets * r.bucketMs);
  const rows = await loadEarningsBuckets(sql(), { orgId: opts.orgId, bucketMs: r.bucketMs, from, nodeId: opts.nodeId ?? null });
  const byStart = new Map<number, bigint>();
  for (const row of rows) {
    // Buckets are counted in epoch milliseconds: no time-zone conversion on either side.
    const key = Number(row.bucket) * r.bucketMs;
    byStart.set(key, (byStart.get(key) ?? 0n) + BigInt(row.amount));
  }
  let total = 0n;
  const points: EarningsPoint[] = [];
  for (let i = 0; i < r.buckets; i++) {
    const start = from.getTime() + i * r.bucketMs;
    const amount = byStart.get(start) ?? 0n;
    total += amount;
    points.push({ start: new Date(start).toISOString(), amount: amount.toString() });
  }
  return { range: opts.range, bucket: r.bucket, points, total: total.toString() };
}

/** Earnings per node from its jobs: payouts held or released (not clawed back), plus settlements from before payouts were held. */
export async function getNodeEarnings(opts: { orgId: string; nodeIds: string[] }): Promise<Map<string, bigint>> {
  if (opts.nodeIds.length === 0) return new Map();
  const rows = await loadNodeEarnings(sql(), { orgId: opts.orgId, nodeIds: opts.nodeIds });
  return new Map(rows.map((r) => [r.node_id, BigInt(r.amount)]));
}
