import { loadBalanceTexts } from "@proofgrid/db/billing/balances";
import { type BillingHistoryKind, loadBillingHistory } from "@proofgrid/db/billing/billing-history";
import { ensureBillingSettings, loadBillingSettings, updateBillingSettingsRow } from "@proofgrid/db/billing/billing-settings";
import { sumMonthSpend, updateKeySpendCap } from "@proofgrid/db/billing/spend-controls";
import { orgAccountCode } from "@proofgrid/db/ledger";
import { sql, sqlTransaction } from "@proofgrid/db/sql-client";
import { z } from "zod";
import { AppError } from "../../errors.ts";
import { type BillingConfig, getBillingConfig } from "./billing-config.ts";
import { ZTokenCount } from "./create-checkout.ts";
import { BASE_UNITS_PER_TOKEN } from "./tokens.ts";

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
  const [balances, s, spent] = await Promise.all([
    loadBalanceTexts(sql(), { codes }),
    loadBillingSettings(sql(), { orgId: opts.orgId }),
    sumMonthSpend(sql(), { orgId: opts.orgId }),
  ]);
  const get = (code: string | undefined) => BigInt(balances.find((b) => b.code === code)?.balance ?? 0);
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

const toBase = (tokens: number | null | undefined) =>
  tokens === undefined ? undefined : tokens === null ? null : BigInt(tokens) * BASE_UNITS_PER_TOKEN;

/** Changes the fields given (absent fields stay as they are). */
export async function updateBillingSettings(opts: {
  orgId: string;
  request: TUpdateBillingSettingsRequest;
}): Promise<BillingOverview["settings"]> {
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
    await ensureBillingSettings(tx, { orgId: opts.orgId });
    const s = await updateBillingSettingsRow(tx, {
      orgId: opts.orgId,
      monthlySpendCap: cap,
      lowBalanceThreshold: low,
      autoTopupThreshold: threshold,
      autoTopupAmount: amount,
      autoTopupEnabled: r.autoTopupEnabled,
    });
    if (r.autoTopupEnabled) {
      if (!s?.payment_method_id)
        throw new AppError("BAD_REQUEST", "auto top-up needs a saved card: buy credits once with “save this card” ticked");
      if (!s.auto_topup_threshold || !s.auto_topup_amount) throw new AppError("BAD_REQUEST", "auto top-up needs a threshold and an amount");
    }
  });
  return (await getBillingOverview({ orgId: opts.orgId })).settings;
}

/** A key's own monthly cap in whole tokens (null removes it). The key must be the organisation's. */
export async function setKeySpendCap(opts: { orgId: string; keyId: string; monthlySpendCap: number | null }): Promise<void> {
  const cap = toBase(opts.monthlySpendCap);
  const n = await updateKeySpendCap(sql(), { orgId: opts.orgId, keyId: opts.keyId, cap: cap ?? null });
  if (n === 0) throw new AppError("NOT_FOUND", "API key not found");
}

export interface BillingHistoryItem {
  /** purchase | auto_topup | grant | refund | dispute | dispute_won */
  kind: BillingHistoryKind;
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
  const rows = await loadBillingHistory(sql(), { orgId: opts.orgId, limit: HISTORY_LIMIT });
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
