import { orgAccountCode } from "@proofgrid/db/ledger";
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
 * What a provider earned over time: credits to its earnings account (job settlements,
 * reservation billing, checker rewards), or, with `nodeId`, only the job settlements of
 * that node. Buckets with nothing in them are zeros, so bars line up with the clock.
 */
export async function getEarningsSeries(opts: { orgId: string; range: EarningsRange; nodeId?: string }): Promise<EarningsSeries> {
  const r = EARNINGS_RANGES[opts.range];
  const code = orgAccountCode(opts.orgId, "earnings");
  const now = Date.now();
  const end = Math.floor(now / r.bucketMs) * r.bucketMs + r.bucketMs;
  const from = new Date(end - r.buckets * r.bucketMs);
  const rows = opts.nodeId
    ? await sql().$queryRaw<{ bucket: bigint; amount: bigint }[]>`
        SELECT floor(extract(epoch FROM t.created_at) * 1000 / ${r.bucketMs})::bigint AS bucket, sum(e.amount)::bigint AS amount
        FROM ledger_entries e
        JOIN ledger_accounts a ON a.id = e.account_id
        JOIN ledger_transfers t ON t.id = e.transfer_id
        JOIN jobs j ON j.id = t.job_id
        WHERE a.code = ${code} AND j.node_id = ${opts.nodeId}::uuid AND t.created_at >= ${from}
        GROUP BY 1`
    : await sql().$queryRaw<{ bucket: bigint; amount: bigint }[]>`
        SELECT floor(extract(epoch FROM t.created_at) * 1000 / ${r.bucketMs})::bigint AS bucket, sum(e.amount)::bigint AS amount
        FROM ledger_entries e
        JOIN ledger_accounts a ON a.id = e.account_id
        JOIN ledger_transfers t ON t.id = e.transfer_id
        WHERE a.code = ${code} AND t.created_at >= ${from}
        GROUP BY 1`;
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

/** Net earnings per node from its job settlements (a refund or slash debit lowers it). */
export async function getNodeEarnings(opts: { orgId: string; nodeIds: string[] }): Promise<Map<string, bigint>> {
  if (opts.nodeIds.length === 0) return new Map();
  const rows = await sql().$queryRaw<{ node_id: string; amount: bigint }[]>`
    SELECT j.node_id::text AS node_id, sum(e.amount)::bigint AS amount
    FROM ledger_entries e
    JOIN ledger_accounts a ON a.id = e.account_id
    JOIN ledger_transfers t ON t.id = e.transfer_id
    JOIN jobs j ON j.id = t.job_id
    WHERE a.code = ${orgAccountCode(opts.orgId, "earnings")} AND j.node_id = ANY(${opts.nodeIds}::uuid[])
    GROUP BY j.node_id`;
  return new Map(rows.map((r) => [r.node_id, BigInt(r.amount)]));
}
