import { orgAccountCode } from "@proofgrid/db/ledger";
import { sql, sqlTransaction } from "@proofgrid/db/sql-client";
import { z } from "zod";
import { AppError } from "../../errors.ts";
import { type BillingConfig, getBillingConfig } from "./billing-config.ts";
import { ZTokenCount } from "./create-checkout.ts";
import { BASE_UNITS_PER_TOKEN } from "./price.ts";
import { monthSpend } from "./spend-controls.ts";

// What the billing page shows and changes: the balance and debt, what is for sale, this
// month's spend against the cap, the auto top-up and alert settings, and the history of every
// purchase, grant, refund and dispute. Amounts are base-unit decimal strings; the page turns
// them into tokens and money.

export interface BillingOverview {
  config: BillingConfig;
  available: string;
  held: string;
  owed: string;
  spentThisMonth: string;
  settings: {
    monthlySpendCap: string | null;
    lowBalanceThreshold: string | null;
    autoTopupEnabled: boolean;
    autoTopupThreshold: string | null;
    autoTopupAmount: string | null;
    autoTopupFailures: number;
    /** "visa •••• 4242" when a card is saved for top-ups. */
    savedCard: string | null;
  };
}

export async function getBillingOverview(opts: { orgId: string }): Promise<BillingOverview> {
  const codes = (["available", "held", "debt"] as const).map((p) => orgAccountCode(opts.orgId, p));
  const [balances, settings, spent] = await Promise.all([
    sql().$queryRaw<{ code: string; balance: string }[]>`SELECT code, balance::text FROM ledger_accounts WHERE code = ANY(${codes}::text[])`,
    sql().$queryRaw<
      {
        monthly_spend_cap: string | null;
        low_balance_threshold: string | null;
        auto_topup_enabled: boolean;
        auto_topup_threshold: string | null;
        auto_topup_amount: string | null;
        auto_topup_failures: number;
        payment_method_id: string | null;
        payment_method_label: string | null;
      }[]
    >`
      SELECT monthly_spend_cap::text, low_balance_threshold::text, auto_topup_enabled, auto_topup_threshold::text, auto_topup_amount::text,
             auto_topup_failures, payment_method_id, payment_method_label
      FROM billing_settings WHERE org_id = ${opts.orgId}::uuid`,
    monthSpend(sql(), { orgId: opts.orgId }),
  ]);
  const get = (code: string | undefined) => BigInt(balances.find((b) => b.code === code)?.balance ?? 0);
  const s = settings[0];
  const debt = get(codes[2]);
  return {
    config: getBillingConfig(),
    available: get(codes[0]).toString(),
    held: get(codes[1]).toString(),
    owed: (debt < 0n ? -debt : 0n).toString(),
    spentThisMonth: spent.toString(),
    settings: {
      monthlySpendCap: s?.monthly_spend_cap ?? null,
      lowBalanceThreshold: s?.low_balance_threshold ?? null,
      autoTopupEnabled: s?.auto_topup_enabled ?? false,
      autoTopupThreshold: s?.auto_topup_threshold ?? null,
      autoTopupAmount: s?.auto_topup_amount ?? null,
      autoTopupFailures: s?.auto_topup_failures ?? 0,
      savedCard: s?.payment_method_id ? (s.payment_method_label ?? "a saved card") : null,
    },
  };
}

/** Whole tokens or nothing (an empty field clears the setting). */
const ZOptionalTokens = z.union([z.literal("").transform(() => null), z.null(), ZTokenCount]).optional();

export const ZUpdateBillingSettingsRequest = z.object({
  /** Whole tokens per calendar month (UTC); null or "" removes the cap. */
  monthlySpendCap: ZOptionalTokens,
  /** Email (and webhook) the owners when available credits fall below this many tokens. */
  lowBalanceThreshold: ZOptionalTokens,
  autoTopupEnabled: z.boolean().optional(),
  /** Top up when available credits fall below this many tokens … */
  autoTopupThreshold: ZOptionalTokens,
  /** … by this many tokens (charged to the saved card). */
  autoTopupAmount: ZOptionalTokens,
});
export type TUpdateBillingSettingsRequest = z.infer<typeof ZUpdateBillingSettingsRequest>;

const toBase = (tokens: number | null | undefined) => (tokens === undefined ? undefined : tokens === null ? null : BigInt(tokens) * BASE_UNITS_PER_TOKEN);

/** Changes the fields given (absent fields stay as they are). */
export async function updateBillingSettings(opts: { orgId: string; request: TUpdateBillingSettingsRequest }): Promise<BillingOverview["settings"]> {
  const r = opts.request;
  const cfg = getBillingConfig();
  const cap = toBase(r.monthlySpendCap);
  const low = toBase(r.lowBalanceThreshold);
  const threshold = toBase(r.autoTopupThreshold);
  const amount = toBase(r.autoTopupAmount);
  if (r.autoTopupAmount != null && (r.autoTopupAmount < cfg.minTokens || r.autoTopupAmount > cfg.maxTokens)) {
    throw new AppError("BAD_REQUEST", `a top-up buys between ${cfg.minTokens} and ${cfg.maxTokens} tokens`);
  }
  await sqlTransaction(async (tx) => {
    await tx.$executeRaw`INSERT INTO billing_settings (org_id, updated_at) VALUES (${opts.orgId}::uuid, now()) ON CONFLICT (org_id) DO NOTHING`;
    const rows = await tx.$queryRaw<{ payment_method_id: string | null; auto_topup_threshold: string | null; auto_topup_amount: string | null }[]>`
      UPDATE billing_settings SET
        monthly_spend_cap = CASE WHEN ${cap !== undefined} THEN ${cap ?? null}::bigint ELSE monthly_spend_cap END,
        low_balance_threshold = CASE WHEN ${low !== undefined} THEN ${low ?? null}::bigint ELSE low_balance_threshold END,
        low_balance_alerted = CASE WHEN ${low !== undefined} THEN false ELSE low_balance_alerted END,
        auto_topup_threshold = CASE WHEN ${threshold !== undefined} THEN ${threshold ?? null}::bigint ELSE auto_topup_threshold END,
        auto_topup_amount = CASE WHEN ${amount !== undefined} THEN ${amount ?? null}::bigint ELSE auto_topup_amount END,
        auto_topup_enabled = coalesce(${r.autoTopupEnabled ?? null}::boolean, auto_topup_enabled),
        auto_topup_failures = CASE WHEN ${r.autoTopupEnabled === true} THEN 0 ELSE auto_topup_failures END,
        auto_topup_next_attempt_at = CASE WHEN ${r.autoTopupEnabled === true} THEN NULL ELSE auto_topup_next_attempt_at END,
        updated_at = now()
      WHERE org_id = ${opts.orgId}::uuid
      RETURNING payment_method_id, auto_topup_threshold::text, auto_topup_amount::text`;
    const s = rows[0];
    if (r.autoTopupEnabled) {
      if (!s?.payment_method_id) throw new AppError("BAD_REQUEST", "auto top-up needs a saved card: buy credits once with “save this card” ticked");
      if (!s.auto_topup_threshold || !s.auto_topup_amount) throw new AppError("BAD_REQUEST", "auto top-up needs a threshold and an amount");
    }
  });
  return (await getBillingOverview({ orgId: opts.orgId })).settings;
}

/** A key's own monthly cap in whole tokens (null removes it). The key must be the organisation's. */
export async function setKeySpendCap(opts: { orgId: string; keyId: string; monthlySpendCap: number | null }): Promise<void> {
  const cap = toBase(opts.monthlySpendCap);
  const n = await sql().$executeRaw`
    UPDATE api_keys SET monthly_spend_cap = ${cap ?? null}::bigint WHERE id = ${opts.keyId}::uuid AND org_id = ${opts.orgId}::uuid`;
  if (n === 0) throw new AppError("NOT_FOUND", "API key not found");
}

export interface BillingHistoryItem {
  /** purchase | auto_topup | grant | refund | dispute | dispute_won */
  kind: "purchase" | "auto_topup" | "grant" | "refund" | "dispute" | "dispute_won";
  at: string;
  /** Signed base units: credited (+) or taken back (−); "0" for a purchase that was not paid. */
  tokens: string;
  /** Of the tokens taken back, how many the organisation could not pay and now owes. */
  toDebt: string;
  /** What the card paid or got back, in `currency`'s minor units (null for a grant). */
  amountMinor: string | null;
  currency: string | null;
  /** paid | open | expired | failed | creating for purchases; done otherwise. */
  status: string;
  receiptUrl: string | null;
  memo: string | null;
  id: string;
}

const HISTORY_LIMIT = 100;

/** The organisation's last 100 billing events, newest first. */
export async function getBillingHistory(opts: { orgId: string }): Promise<BillingHistoryItem[]> {
  const available = orgAccountCode(opts.orgId, "available");
  const debt = orgAccountCode(opts.orgId, "debt");
  const rows = await sql().$queryRaw<
    {
      id: string;
      kind: BillingHistoryItem["kind"];
      at: Date;
      tokens: string;
      to_debt: string;
      amount_minor: string | null;
      currency: string | null;
      status: string;
      receipt_url: string | null;
      memo: string | null;
    }[]
  >`
    (SELECT id::text, CASE kind WHEN 'auto_topup' THEN 'auto_topup' ELSE 'purchase' END AS kind, coalesce(paid_at, created_at) AS at,
            CASE WHEN status = 'paid' THEN tokens ELSE 0 END::text AS tokens, '0' AS to_debt, amount_minor::text, currency,
            status::text, receipt_url, failure_message AS memo
     FROM card_purchases WHERE org_id = ${opts.orgId}::uuid AND status <> 'creating'
     ORDER BY created_at DESC LIMIT ${HISTORY_LIMIT})
    UNION ALL
    (SELECT r.id::text, r.kind::text, r.created_at, (-r.tokens)::text, r.to_debt::text, r.amount_minor::text, p.currency,
            'done', p.receipt_url, NULL
     FROM card_reversals r JOIN card_purchases p ON p.id = r.purchase_id
     WHERE r.org_id = ${opts.orgId}::uuid ORDER BY r.created_at DESC LIMIT ${HISTORY_LIMIT})
    UNION ALL
    (SELECT t.id::text, 'grant', t.created_at, sum(e.amount)::text, '0', NULL, NULL, 'done', NULL, t.memo
     FROM ledger_transfers t JOIN ledger_entries e ON e.transfer_id = t.id JOIN ledger_accounts a ON a.id = e.account_id
     WHERE t.kind = 'grant' AND a.code IN (${available}, ${debt})
     GROUP BY t.id ORDER BY t.created_at DESC LIMIT ${HISTORY_LIMIT})
    ORDER BY at DESC LIMIT ${HISTORY_LIMIT}`;
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    at: r.at.toISOString(),
    tokens: r.tokens,
    toDebt: r.to_debt,
    amountMinor: r.amount_minor,
    currency: r.currency,
    status: r.status,
    receiptUrl: r.receipt_url,
    memo: r.memo,
  }));
}
