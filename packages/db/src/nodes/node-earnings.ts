import type { Db } from "../db-types.ts";
import { orgAccountCode } from "../ledger/accounts.ts";

export interface LoadEarningsBucketsOptions {
  orgId: string;
  /** Bucket length, ms: buckets are counted in epoch milliseconds, no time-zone conversion. */
  bucketMs: number;
  from: Date;
  /** Only this node's job payouts; null: the whole provider's earnings. */
  nodeId: string | null;
}

/** A bucket's number (its start / bucketMs) and what was earned in it, base units. */
export interface EarningsBucketRow {
  bucket: bigint;
  amount: bigint;
}

/**
 * What the provider earned per bucket since `from`, counted when each payout was earned:
 * job payouts when their job settled (held_earnings: held, then released — a payout clawed
 * back after a fraud does not count), plus other credits to its earnings account, but not
 * the release of held payouts (counted already). Buckets with nothing in them are absent.
 */
export async function loadEarningsBuckets(db: Db, opts: LoadEarningsBucketsOptions): Promise<EarningsBucketRow[]> {
  const { bucketMs, from } = opts;
  const code = orgAccountCode(opts.orgId, "earnings");
  const node = opts.nodeId;
  return db.$queryRaw<EarningsBucketRow[]>`
    SELECT bucket, sum(amount)::bigint AS amount FROM (
      SELECT floor(extract(epoch FROM t.created_at) * 1000 / ${bucketMs})::bigint AS bucket, e.amount
      FROM ledger_entries e
      JOIN ledger_accounts a ON a.id = e.account_id
      JOIN ledger_transfers t ON t.id = e.transfer_id
      LEFT JOIN jobs j ON j.id = t.job_id
      WHERE a.code = ${code} AND t.created_at >= ${from} AND t.kind <> 'release_earnings'
        AND (${node}::uuid IS NULL OR j.node_id = ${node}::uuid)
      UNION ALL
      SELECT floor(extract(epoch FROM h.settled_at) * 1000 / ${bucketMs})::bigint AS bucket, h.amount
      FROM held_earnings h
      WHERE h.org_id = ${opts.orgId}::uuid AND h.state <> 'clawed' AND h.settled_at >= ${from}
        AND (${node}::uuid IS NULL OR h.node_id = ${node}::uuid)
    ) x GROUP BY bucket`;
}

/**
 * Earnings per node from its jobs: payouts held or released (not clawed back), plus
 * settlements from before payouts were held. Nodes that earned nothing are absent.
 */
export async function loadNodeEarnings(db: Db, opts: { orgId: string; nodeIds: string[] }): Promise<{ node_id: string; amount: bigint }[]> {
  return db.$queryRaw<{ node_id: string; amount: bigint }[]>`
    SELECT node_id, sum(amount)::bigint AS amount FROM (
      SELECT j.node_id::text AS node_id, e.amount
      FROM ledger_entries e
      JOIN ledger_accounts a ON a.id = e.account_id
      JOIN ledger_transfers t ON t.id = e.transfer_id
      JOIN jobs j ON j.id = t.job_id
      WHERE a.code = ${orgAccountCode(opts.orgId, "earnings")} AND j.node_id = ANY(${opts.nodeIds}::uuid[])
      UNION ALL
      SELECT h.node_id::text AS node_id, h.amount FROM held_earnings h
      WHERE h.org_id = ${opts.orgId}::uuid AND h.node_id = ANY(${opts.nodeIds}::uuid[]) AND h.state <> 'clawed'
    ) x GROUP BY node_id`;
}
