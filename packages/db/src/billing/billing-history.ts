import type { Db } from "../db-types.ts";
import { orgAccountCode } from "../ledger/accounts.ts";

export type BillingHistoryKind = "purchase" | "auto_topup" | "grant" | "refund" | "dispute" | "dispute_won";

/** One billing event: a purchase, a reversal of one, or an admin grant. Amounts are decimal strings. */
export interface BillingHistoryRow {
  id: string;
  kind: BillingHistoryKind;
  at: Date;
  /** Signed base units: credited (+) or taken back (−); "0" for a purchase that was not paid. */
  tokens: string;
  to_debt: string;
  amount_minor: string | null;
  currency: string | null;
  status: string;
  receipt_url: string | null;
  memo: string | null;
}

/** The organisation's last `limit` purchases, reversals and grants together, newest first. */
export async function loadBillingHistory(db: Db, opts: { orgId: string; limit: number }): Promise<BillingHistoryRow[]> {
  const available = orgAccountCode(opts.orgId, "available");
  const debt = orgAccountCode(opts.orgId, "debt");
  return db.$queryRaw<BillingHistoryRow[]>`
    (SELECT id::text, CASE kind WHEN 'auto_topup' THEN 'auto_topup' ELSE 'purchase' END AS kind, coalesce(paid_at, created_at) AS at,
            CASE WHEN status = 'paid' THEN tokens ELSE 0 END::text AS tokens, '0' AS to_debt, amount_minor::text, currency,
            status::text, receipt_url, failure_message AS memo
     FROM card_purchases WHERE org_id = ${opts.orgId}::uuid AND status <> 'creating'
     ORDER BY created_at DESC LIMIT ${opts.limit})
    UNION ALL
    (SELECT r.id::text, r.kind::text, r.created_at, (-r.tokens)::text, r.to_debt::text, r.amount_minor::text, p.currency,
            'done', p.receipt_url, NULL
     FROM card_reversals r JOIN card_purchases p ON p.id = r.purchase_id
     WHERE r.org_id = ${opts.orgId}::uuid ORDER BY r.created_at DESC LIMIT ${opts.limit})
    UNION ALL
    (SELECT t.id::text, 'grant', t.created_at, sum(e.amount)::text, '0', NULL, NULL, 'done', NULL, t.memo
     FROM ledger_transfers t JOIN ledger_entries e ON e.transfer_id = t.id JOIN ledger_accounts a ON a.id = e.account_id
     WHERE t.kind = 'grant' AND a.code IN (${available}, ${debt})
     GROUP BY t.id ORDER BY t.created_at DESC LIMIT ${opts.limit})
    ORDER BY at DESC LIMIT ${opts.limit}`;
}
