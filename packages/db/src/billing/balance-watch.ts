import type { Db } from "../db-types.ts";
import type { BillingSettingsRow } from "./billing-settings.ts";

/** An organisation the billing watch looks at: its alert settings and available credits (null: no account). */
export type WatchedOrgRow = Pick<BillingSettingsRow, "org_id" | "low_balance_threshold" | "low_balance_alerted" | "monthly_spend_cap"> & {
  available: string | null;
};

/**
 * Picks the `limit` organisations with a low-balance threshold or a spend cap that were
 * looked at least recently, marks them looked at now, and reads them with their balance.
 */
export async function pickOrgsToWatch(db: Db, opts: { limit: number }): Promise<WatchedOrgRow[]> {
  return db.$queryRaw<WatchedOrgRow[]>`
    WITH picked AS (
      SELECT org_id FROM billing_settings
      WHERE low_balance_threshold IS NOT NULL OR monthly_spend_cap IS NOT NULL
      ORDER BY checked_at LIMIT ${opts.limit}
    ), touched AS (
      UPDATE billing_settings s SET checked_at = now() FROM picked WHERE s.org_id = picked.org_id
      RETURNING s.org_id, s.low_balance_threshold, s.low_balance_alerted, s.monthly_spend_cap
    )
    SELECT t.org_id, a.balance::text AS available, t.low_balance_threshold::text, t.low_balance_alerted, t.monthly_spend_cap::text
    FROM touched t LEFT JOIN ledger_accounts a ON a.code = 'org:' || t.org_id || ':available'`;
}

/** Marks the low-balance alert sent; false when it already was (another tick got there first). */
export async function markLowBalanceAlerted(db: Db, opts: { orgId: string }): Promise<boolean> {
  const rows = await db.$queryRaw<Pick<BillingSettingsRow, "org_id">[]>`
    UPDATE billing_settings SET low_balance_alerted = true WHERE org_id = ${opts.orgId}::uuid AND NOT low_balance_alerted RETURNING org_id`;
  return rows.length > 0;
}

/** The balance is back above the threshold: the next fall below it alerts again. */
export async function clearLowBalanceAlerted(db: Db, opts: { orgId: string }): Promise<void> {
  await db.$executeRaw`UPDATE billing_settings SET low_balance_alerted = false WHERE org_id = ${opts.orgId}::uuid`;
}
