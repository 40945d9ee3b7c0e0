import {
  type LockedPurchase,
  lockPurchase as lockPurchaseRow,
  markPurchasePaid,
  setPurchaseTokensReversed,
} from "@proofgrid/db/billing/card-purchases";
import { insertCardReversal } from "@proofgrid/db/billing/card-reversals";
import { creditOrgRepayingDebt, SYSTEM_ACCOUNTS, takeBackFromOrg } from "@proofgrid/db/ledger";
import type { SqlClient } from "@proofgrid/db/sql-client";
import { logger } from "../../logger.ts";
import { raiseBillingAlert } from "./billing-alerts.ts";
import { formatTokenAmount } from "./tokens.ts";
import { ensureOrgAccounts } from "./org-accounts.ts";

// What card payments do to the ledger, inside the caller's transaction with the purchase
// row locked (FOR UPDATE). Tokens come from and go back to `stripe_clearing`.
//
// Transfer kinds: card_purchase / card_auto_topup (a paid purchase, keyed by the payment's
// id), card_refund / card_dispute (tokens taken back, keyed by the purchase and the event),
// card_dispute_won (returned, likewise).

export type { LockedPurchase };

/** The purchase a Stripe object points at, locked. `by` names the column matched. */
export async function lockPurchase(
  tx: SqlClient,
  by: { sessionId?: string | null; paymentIntentId?: string | null; chargeId?: string | null; purchaseId?: string | null },
): Promise<LockedPurchase | null> {
  // Each lookup is one indexed equality; the first that finds a row wins.
  let p: LockedPurchase | null = null;
  if (by.sessionId) p = await lockPurchaseRow(tx, { sessionId: by.sessionId });
  if (!p && by.paymentIntentId) p = await lockPurchaseRow(tx, { paymentIntentId: by.paymentIntentId });
  if (!p && by.chargeId) p = await lockPurchaseRow(tx, { chargeId: by.chargeId });
  if (!p && by.purchaseId && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(by.purchaseId)) {
    p = await lockPurchaseRow(tx, { purchaseId: by.purchaseId });
  }
  return p;
}

/**
 * Credits a paid purchase once: one transfer from stripe_clearing keyed by the payment's id
 * (`card_purchase:<payment intent>`), repaying the organisation's debt first; the purchase
 * becomes `paid`. A purchase already paid changes nothing. Then any refund or dispute Stripe
 * reported before the payment was known is applied (`reconcileReversals`).
 */
export async function creditPurchase(
  tx: SqlClient,
  p: LockedPurchase,
  paymentIntentId: string,
  cause: string,
): Promise<{ credited: boolean }> {
  if (p.status === "paid") return { credited: false };
  await ensureOrgAccounts(tx, p.org_id);
  const res = await creditOrgRepayingDebt(tx, {
    orgId: p.org_id,
    source: SYSTEM_ACCOUNTS.stripeClearing.code,
    amount: p.tokens,
    idempotencyKey: `card_purchase:${paymentIntentId}`,
    kind: p.kind === "auto_topup" ? "card_auto_topup" : "card_purchase",
    memo: `card purchase ${p.id}`,
  });
  await markPurchasePaid(tx, { purchaseId: p.id, paymentIntentId });
  p.status = "paid";
  p.stripe_payment_intent_id = paymentIntentId;
  logger.info(
    {
      orgId: p.org_id,
      purchaseId: p.id,
      paymentIntentId,
      tokens: p.tokens.toString(),
      repaid: res.repaid.toString(),
      created: res.created,
      cause,
    },
    "card purchase credited",
  );
  if (p.refunded_minor > 0n || p.disputed_minor > 0n) await reconcileReversals(tx, p, { eventId: cause, kind: "refund" });
  return { credited: res.created };
}

/**
 * Brings the tokens taken back from a paid purchase to what Stripe's cumulative refunded and
 * disputed amounts call for: tokens × min(amount, refunded + disputed) / amount, rounded
 * down. Takes the difference back (from the balance, the rest as debt) or, when it fell (a
 * dispute won), returns it. One transfer and one card_reversals row per event; an event
 * seen again finds nothing left to do.
 */
export async function reconcileReversals(
  tx: SqlClient,
  p: LockedPurchase,
  cause: { eventId: string; kind: "refund" | "dispute" | "dispute_won"; disputeId?: string | null; amountMinor?: bigint },
): Promise<{ tokens: bigint; fromBalance: bigint; toDebt: bigint }> {
  const none = { tokens: 0n, fromBalance: 0n, toDebt: 0n };
  if (p.status !== "paid") return none; // applied when it is credited
  const reversible = p.refunded_minor + p.disputed_minor < p.amount_minor ? p.refunded_minor + p.disputed_minor : p.amount_minor;
  const target = (p.tokens * reversible) / p.amount_minor;
  const delta = target - p.tokens_reversed;
  if (delta === 0n) return none;
  const key = `card_reversal:${p.id}:${cause.eventId}`;
  let fromBalance = 0n;
  let toDebt = 0n;
  let transferId: string;
  if (delta > 0n) {
    const res = await takeBackFromOrg(tx, {
      orgId: p.org_id,
      sink: SYSTEM_ACCOUNTS.stripeClearing.code,
      amount: delta,
      idempotencyKey: key,
      kind: cause.kind === "dispute" ? "card_dispute" : "card_refund",
      memo: `card purchase ${p.id}`,
    });
    ({ fromBalance, toDebt, transferId } = res);
    if (toDebt > 0n) {
      await raiseBillingAlert(tx, {
        orgId: p.org_id,
        kind: "debt",
        periodKey: cause.eventId,
        data: { purchaseId: p.id, owedTokens: toDebt.toString(), reason: cause.kind },
        subject: "Proofgrid: a card payment was reversed and your organisation owes tokens",
        text: `A card payment for ${formatTokenAmount(p.tokens)} tokens was ${cause.kind === "dispute" ? "disputed" : "refunded"} after its credits were spent: ${formatTokenAmount(toDebt)} tokens could not be taken back and are owed. New jobs are paused until the debt is paid; buying credits pays it first.`,
      });
    }
  } else {
    const res = await creditOrgRepayingDebt(tx, {
      orgId: p.org_id,
      source: SYSTEM_ACCOUNTS.stripeClearing.code,
      amount: -delta,
      idempotencyKey: key,
      kind: "card_dispute_won",
      memo: `card purchase ${p.id}`,
    });
    transferId = res.transferId;
    fromBalance = -(-delta - res.repaid); // returned to the balance (negative: credited)
    toDebt = -res.repaid; // debt repaid
  }
  await setPurchaseTokensReversed(tx, { purchaseId: p.id, tokensReversed: target });
  await insertCardReversal(tx, {
    purchaseId: p.id,
    orgId: p.org_id,
    stripeEventId: cause.eventId,
    stripeDisputeId: cause.disputeId ?? null,
    kind: cause.kind,
    amountMinor: cause.amountMinor ?? 0n,
    tokens: delta,
    fromBalance,
    toDebt,
    transferId,
  });
  p.tokens_reversed = target;
  logger.warn(
    {
      orgId: p.org_id,
      purchaseId: p.id,
      kind: cause.kind,
      tokens: delta.toString(),
      fromBalance: fromBalance.toString(),
      toDebt: toDebt.toString(),
    },
    "card payment reversed",
  );
  return { tokens: delta, fromBalance, toDebt };
}
