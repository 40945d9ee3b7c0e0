import {
  backOffTopup,
  countTopupFailure,
  type DueTopup,
  insertTopupPurchase,
  loadDueTopups,
  loadStaleTopupPurchase,
  openTopupPurchase,
  resetTopupFailures,
  touchPurchase,
} from "@proofgrid/db/billing/auto-topups";
import { failOpenPurchase, fillPurchasePaymentIntent } from "@proofgrid/db/billing/card-purchases";
import { type SqlClient, sql, sqlTransaction } from "@proofgrid/db/sql-client";
import Stripe from "stripe";
import { logger } from "../../logger.ts";
import { raiseBillingAlert } from "./billing-alerts.ts";
import { getBillingConfig } from "./billing-config.ts";
import { creditPurchase, lockPurchase } from "./card-ledger.ts";
import { formatMoney } from "./price.ts";
import { BASE_UNITS_PER_TOKEN, formatTokenAmount } from "./tokens.ts";
import { getStripe } from "./stripe-client.ts";

// Auto top-up: when an organisation's available credits fall below its threshold, the card
// it saved at a Checkout purchase (setup_future_usage=off_session) is charged off-session
// for its top-up amount. Run by the coordinator's billing watch.
//
// Bounded: at most one top-up in flight per organisation (a partial unique index on
// card_purchases), at most TOPUPS_PER_TICK organisations per tick, and after a decline the
// next try waits 2^failures minutes; the fifth consecutive decline turns auto top-up off
// and tells the owners. Our row is written before Stripe is called and Stripe is called with
// the key `topup:<purchase id>`, so a crash between the two resumes the same charge.

const TOPUPS_PER_TICK = 20;
export const MAX_TOPUP_FAILURES = 5;
/** A top-up row still `creating` this long after it was made is one whose process died mid-call. */
const STALE_CREATING_MS = 60_000;

/** A declined or failed top-up: the purchase fails, the next try backs off, the owners hear of it. */
export async function recordTopupFailure(tx: SqlClient, purchaseId: string, orgId: string, message: string): Promise<void> {
  await failOpenPurchase(tx, { purchaseId, message });
  const r = await countTopupFailure(tx, { orgId, maxFailures: MAX_TOPUP_FAILURES });
  await raiseBillingAlert(tx, {
    orgId,
    kind: "auto_topup_failed",
    periodKey: purchaseId,
    data: { purchaseId, message, failures: r?.failures ?? 1, stillEnabled: r?.enabled ?? false },
    subject: "Proofgrid: an automatic top-up failed",
    text: `An automatic top-up of your Proofgrid credits was not paid: ${message}.\n${
      r?.enabled
        ? "It will be tried again later."
        : `After ${MAX_TOPUP_FAILURES} failures in a row automatic top-up is now off; buy credits by hand or save another card.`
    }`,
  });
}

/** One tick: starts (or resumes) the top-ups that are due. Returns how many it tried. */
export async function runAutoTopups(): Promise<number> {
  const stripe = getStripe();
  if (!stripe) return 0;
  const due = await loadDueTopups(sql(), { limit: TOPUPS_PER_TICK });
  for (const d of due) {
    try {
      await topUp(stripe, d);
    } catch (err) {
      logger.error({ err, orgId: d.org_id }, "auto top-up failed unexpectedly");
    }
  }
  return due.length;
}

async function topUp(stripe: Stripe, d: DueTopup): Promise<void> {
  const cfg = getBillingConfig();
  const tokens = BigInt(d.auto_topup_amount);
  const wholeTokens = tokens / BASE_UNITS_PER_TOKEN;
  const amountMinor = wholeTokens * BigInt(cfg.tokenPriceMinor);
  if (wholeTokens < 1n || amountMinor > 99_999_999n) return;
  // One in flight: a second insert conflicts on the partial unique index. An existing row
  // still `creating` after a minute belongs to a process that died: resume it.
  let purchaseId = await insertTopupPurchase(sql(), {
    orgId: d.org_id,
    tokens: wholeTokens * BASE_UNITS_PER_TOKEN,
    amountMinor,
    currency: cfg.currency,
  });
  let purchaseTokens = wholeTokens * BASE_UNITS_PER_TOKEN;
  let purchaseAmount = amountMinor;
  let currency = cfg.currency;
  if (!purchaseId) {
    const s = await loadStaleTopupPurchase(sql(), { orgId: d.org_id, staleMs: STALE_CREATING_MS });
    if (!s) return; // in flight (or waiting for Stripe's webhook): nothing to do
    ({ id: purchaseId, currency } = s);
    purchaseTokens = BigInt(s.tokens);
    purchaseAmount = BigInt(s.amount_minor);
  }
  await touchPurchase(sql(), { purchaseId });
  let pi: Stripe.PaymentIntent;
  try {
    pi = await stripe.paymentIntents.create(
      {
        amount: Number(purchaseAmount),
        currency,
        customer: d.stripe_customer_id,
        payment_method: d.payment_method_id,
        off_session: true,
        confirm: true,
        description: `Proofgrid automatic top-up: ${formatTokenAmount(purchaseTokens)} tokens`,
        metadata: { purchase_id: purchaseId, org_id: d.org_id, kind: "auto_topup" },
      },
      { idempotencyKey: `topup:${purchaseId}` },
    );
  } catch (err) {
    const id = purchaseId;
    if (err instanceof Stripe.errors.StripeCardError || err instanceof Stripe.errors.StripeInvalidRequestError) {
      const piId = (err.raw as { payment_intent?: { id?: string } } | undefined)?.payment_intent?.id ?? null;
      await sqlTransaction(async (tx) => {
        if (piId) await fillPurchasePaymentIntent(tx, { purchaseId: id, paymentIntentId: piId });
        await recordTopupFailure(tx, id, d.org_id, err.message);
      });
      logger.warn({ orgId: d.org_id, purchaseId: id, code: err.code, msg: err.message }, "auto top-up declined");
      return;
    }
    // Stripe unreachable or failing: the row stays `creating` and is resumed with the same
    // key after a back-off, which may find that the first call did charge.
    await backOffTopup(sql(), { orgId: d.org_id });
    logger.warn({ err: String(err), orgId: d.org_id, purchaseId: id }, "auto top-up: Stripe could not be reached; will resume");
    return;
  }
  const id = purchaseId;
  await sqlTransaction(async (tx) => {
    const p = await lockPurchase(tx, { purchaseId: id });
    if (!p) return;
    await openTopupPurchase(tx, { purchaseId: id, paymentIntentId: pi.id });
    if (p.status === "creating") p.status = "open";
    if (pi.status === "succeeded") {
      await creditPurchase(tx, p, pi.id, `topup:${id}`);
      await resetTopupFailures(tx, { orgId: d.org_id });
    } else if (pi.status === "requires_action" || pi.status === "requires_payment_method" || pi.status === "canceled") {
      await recordTopupFailure(
        tx,
        id,
        d.org_id,
        `the bank asks the cardholder to confirm this payment (${pi.status}); buy credits on the billing page`,
      );
    }
    // `processing`: the webhook's payment_intent.succeeded or .payment_failed finishes it.
  });
  logger.info(
    { orgId: d.org_id, purchaseId: id, paymentIntentId: pi.id, status: pi.status, amount: formatMoney(purchaseAmount, currency) },
    "auto top-up charged",
  );
}
