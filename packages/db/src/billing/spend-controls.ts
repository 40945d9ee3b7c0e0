import type { Db } from "../db-types.ts";
import { orgAccountCode } from "../ledger/accounts.ts";
import { queryFragment, type SqlFragment, sqlFragment } from "../sql-fragment.ts";

/** The debt account's balance (≤ 0) and both monthly caps, as decimal strings (null: none). */
export interface SpendControlsRow {
  debt: string | null;
  org_cap: string | null;
  key_cap: string | null;
  /** The organisation's queued jobs, counted up to `queuedLimit` (null when not asked). */
  queued: number | null;
}

/**
 * One round trip: the organisation's debt, its monthly cap and its key's (a key of another
 * organisation has none), and with `queuedLimit` its queued jobs counted up to that (the
 * submit's backpressure check, read with them).
 */
export async function loadSpendControls(
  db: Db,
  opts: { orgId: string; apiKeyId: string | null; queuedLimit?: number },
): Promise<SpendControlsRow | null> {
  const rows = await queryFragment<SpendControlsRow[]>(db, sqlFragment`SELECT ${spendControlsColumns(opts)}`);
  return rows[0] ?? null;
}

/** loadSpendControls's columns, for a statement that reads them alongside its own work (a submit's guarded insert). */
export function spendControlsColumns(opts: { orgId: string; apiKeyId: string | null; queuedLimit?: number }): SqlFragment {
  return sqlFragment`
    (SELECT balance FROM ledger_accounts WHERE code = ${orgAccountCode(opts.orgId, "debt")})::text AS debt,
    (SELECT monthly_spend_cap FROM billing_settings WHERE org_id = ${opts.orgId}::uuid)::text AS org_cap,
    (SELECT monthly_spend_cap FROM api_keys WHERE id = ${opts.apiKeyId}::uuid AND org_id = ${opts.orgId}::uuid)::text AS key_cap,
    CASE WHEN ${opts.queuedLimit ?? null}::int IS NULL THEN NULL
         ELSE (SELECT count(*)::int FROM (
                 SELECT 1 FROM jobs WHERE org_id = ${opts.orgId}::uuid AND state = 'queued' LIMIT ${opts.queuedLimit ?? 0}
               ) q) END AS queued`;
}

/**
 * The month's spend so far (base units, UTC calendar month) of the organisation, or of one of
 * its keys: the price held for each customer job that did not fail, expire or get canceled.
 */
export async function sumMonthSpend(db: Db, opts: { orgId: string; apiKeyId?: string | null }): Promise<bigint> {
  const rows = opts.apiKeyId
    ? await db.$queryRaw<{ spent: string | null }[]>`
        SELECT sum(price)::text AS spent FROM jobs
        WHERE api_key_id = ${opts.apiKeyId}::uuid AND org_id = ${opts.orgId}::uuid
          AND created_at >= date_trunc('month', now() AT TIME ZONE 'utc') AND purpose = 'customer'
          AND state NOT IN ('failed', 'canceled', 'expired')`
    : await db.$queryRaw<{ spent: string | null }[]>`
        SELECT sum(price)::text AS spent FROM jobs
        WHERE org_id = ${opts.orgId}::uuid AND created_at >= date_trunc('month', now() AT TIME ZONE 'utc') AND purpose = 'customer'
          AND state NOT IN ('failed', 'canceled', 'expired')`;
  return BigInt(rows[0]?.spent ?? 0);
}

/** Serialises the organisation's spend-cap checks until the transaction ends (an advisory lock). */
export async function lockOrgSpend(db: Db, opts: { orgId: string }): Promise<void> {
  await db.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`spend:${opts.orgId}`}, 0))`;
}

/** Sets an API key's own monthly cap (base units; null removes it). Returns 0 when the organisation has no such key. */
export async function updateKeySpendCap(db: Db, opts: { orgId: string; keyId: string; cap: bigint | null }): Promise<number> {
  return db.$executeRaw`
    UPDATE api_keys SET monthly_spend_cap = ${opts.cap}::bigint WHERE id = ${opts.keyId}::uuid AND org_id = ${opts.orgId}::uuid`;
}
