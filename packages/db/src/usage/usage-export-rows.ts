import type { Db } from "../db-types.ts";

/** The organisation's jobs that finished in [fromMs, toMs) (epoch ms), counted up to `limit` at most. */
export async function countFinishedJobs(db: Db, opts: { orgId: string; fromMs: number; toMs: number; limit: number }): Promise<number> {
  const lo = opts.fromMs;
  const hi = opts.toMs;
  const counted = await db.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM (
      SELECT 1 FROM jobs
      WHERE org_id = ${opts.orgId}::uuid
        AND finished_at >= (to_timestamp(${lo}::float8 / 1000) AT TIME ZONE 'UTC')
        AND finished_at < (to_timestamp(${hi}::float8 / 1000) AT TIME ZONE 'UTC')
      LIMIT ${opts.limit}
    ) c`;
  return counted[0]?.n ?? 0;
}

/** One finished job as the usage CSV prints it; times are ISO 8601 UTC text, amounts decimal text. */
export interface UsageCsvRow {
  id: string;
  created_at: string;
  finished_at: string;
  /** finished_at as Postgres prints it: the keyset position, exact to the microsecond. */
  k: string;
  model: string;
  state: string;
  cost_milli_cu: number;
  worker_region: string | null;
  verification: string;
  charged: string;
}

export interface LoadUsageCsvBatchOptions {
  orgId: string;
  fromMs: number;
  toMs: number;
  /** The customer's ledger account codes whose entries count as spend. */
  accountCodes: readonly string[];
  /** The transfer kinds that count as spend (charges, refunds, re-run grants). */
  transferKinds: readonly string[];
  /** The keyset position of the last row of the previous batch (null: the first batch). */
  after: { k: string; id: string } | null;
  limit: number;
}

/**
 * One keyset page of the organisation's jobs that finished in [fromMs, toMs), by
 * (finished_at, id), with what the customer was charged for each (from the ledger: the
 * settlement, less a refund or a re-run grant).
 */
export async function loadUsageCsvBatch(db: Db, opts: LoadUsageCsvBatchOptions): Promise<UsageCsvRow[]> {
  const { after, limit } = opts;
  const lo = opts.fromMs;
  const hi = opts.toMs;
  const codes = [...opts.accountCodes];
  const kinds = [...opts.transferKinds];
  return db.$queryRaw<UsageCsvRow[]>`
    SELECT j.id::text AS id,
           to_char(j.created_at, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at,
           to_char(j.finished_at, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS finished_at,
           j.finished_at::text AS k,
           m.slug AS model, j.state::text AS state, j.cost_milli_cu, n.region AS worker_region,
           j.verification::text AS verification,
           coalesce((SELECT -sum(e.amount)
                     FROM ledger_transfers t
                     JOIN ledger_entries e ON e.transfer_id = t.id
                     JOIN ledger_accounts a ON a.id = e.account_id
                     WHERE t.job_id = j.id AND t.kind = ANY(${kinds}::text[]) AND a.code = ANY(${codes}::text[])), 0)::text AS charged
    FROM jobs j
    JOIN models m ON m.id = j.model_id
    LEFT JOIN nodes n ON n.id = j.node_id
    WHERE j.org_id = ${opts.orgId}::uuid
      AND j.finished_at >= (to_timestamp(${lo}::float8 / 1000) AT TIME ZONE 'UTC')
      AND j.finished_at < (to_timestamp(${hi}::float8 / 1000) AT TIME ZONE 'UTC')
      AND (${after?.k ?? null}::timestamp IS NULL OR (j.finished_at, j.id) > (${after?.k ?? null}::timestamp, ${after?.id ?? null}::uuid))
    ORDER BY j.finished_at, j.id
    LIMIT ${limit}`;
}
