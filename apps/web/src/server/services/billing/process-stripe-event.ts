import { createHash } from "node:crypto";
import { resetTopupFailures } from "@proofgrid/db/billing/auto-topups";
import { saveTopupCard, setPaymentMethodLabel } from "@proofgrid/db/billing/billing-settings";
import {
  expirePurchase,
  findPurchasesByPaymentIntent,
  recordPurchaseCharge,
  recordPurchaseRefund,
  setPurchaseDisputed,
  setPurchasePaymentIntent,
  setPurchaseSession,
} from "@proofgrid/db/billing/card-purchases";
import { hasDisputeOpened, insertDisputeMark, loadDisputeReversals } from "@proofgrid/db/billing/card-reversals";
import {
  insertStripeEvent,
  lockStripePayment,
  lockUnmatchedStripeEvents,
  markStripeEvent,
  type StripeEventStatus,
} from "@proofgrid/db/billing/stripe-events";
import { type SqlClient, sqlTransaction } from "@proofgrid/db/sql-client";
import type Stripe from "stripe";
import { logger } from "../../logger.ts";
import { recordTopupFailure } from "./auto-topup.ts";
import { creditPurchase, type LockedPurchase, lockPurchase, reconcileReversals } from "./card-ledger.ts";

// Stripe's events, verified by the route (constructEvent on the raw body), applied here.
//
// Exactly once, whatever Stripe does: every event is stored by its id in the transaction
// that applies it, so a replay or a duplicate delivery finds it and changes nothing, and two
// concurrent deliveries serialise on the row (the second waits for the first's commit).
// Credits are keyed by the payment's id, so checkout.session.completed and
// payment_intent.succeeded for one payment credit once in whichever order they come. An
// event about a payment the platform does not know (yet) is stored as `unmatched` and
// answered 200; when a purchase later learns its payment id, the unmatched events about
// that payment are applied then (a refund that overtook the payment's own event).

export type EventStatus = StripeEventStatus;

export interface EventOutcome {
  status: EventStatus | "duplicate";
  note?: string;
  purchaseId?: string | null;
}

interface HandlerResult {
  status: EventStatus;
  note?: string;
  purchaseId?: string | null;
  /** The payment the event is about (kept for matching unmatched events later). */
  paymentIntentId?: string | null;
  /** Set when this event gave a purchase its payment id: unmatched events about it are retried. */
  linkedPaymentIntent?: string | null;
}

/** At most this many stored events are applied again when a purchase learns its payment id. */
const MAX_REPLAYED_UNMATCHED = 20;

const idOf = (v: string | { id: string } | null | undefined): string | null => (typeof v === "string" ? v : (v?.id ?? null));

/** Applies one verified event; `rawBody` is what Stripe signed (its sha256 is stored). */
export async function processStripeEvent(event: Stripe.Event, rawBody: Uint8Array | string): Promise<EventOutcome> {
  const digest = createHash("sha256").update(rawBody).digest("hex");
  const outcome = await sqlTransaction(async (tx) => {
    const row = await insertStripeEvent(tx, {
      id: event.id,
      type: event.type,
      payloadSha256: digest,
      payload: event,
      livemode: event.livemode,
      createdSeconds: event.created,
    });
    if (!row) throw new Error(`stripe event ${event.id} was not stored`);
    if (!row.inserted) {
      if (row.payload_sha256 !== digest)
        logger.warn({ eventId: event.id, type: event.type }, "stripe event redelivered with a different body; the first one stands");
      return { status: "duplicate", note: `already ${row.status}` } satisfies EventOutcome;
    }
    await lockPayment(tx, paymentIntentOf(event));
    const result = await applyEvent(tx, event);
    await markEvent(tx, event.id, result);
    if (result.linkedPaymentIntent) await replayUnmatched(tx, result.linkedPaymentIntent, event.id);
    return { status: result.status, note: result.note, purchaseId: result.purchaseId ?? null } satisfies EventOutcome;
  });
  const log = outcome.status === "rejected" ? logger.error.bind(logger) : logger.info.bind(logger);
  log({ eventId: event.id, type: event.type, status: outcome.status, note: outcome.note, purchaseId: outcome.purchaseId }, "stripe event");
  return outcome;
}

/** The payment an event is about, if it names one. */
function paymentIntentOf(event: Stripe.Event): string | null {
  const o = event.data.object as { object?: string; id?: string; payment_intent?: string | { id: string } | null };
  if (o.object === "payment_intent") return o.id ?? null;
  return idOf(o.payment_intent);
}

/**
 * Events about one payment are applied one at a time (a transaction-scoped advisory lock on
 * its id). Without it a charge event could look for the purchase while another transaction
 * is still linking the payment to it, find nothing, and be stored as unmatched just after
 * that transaction looked for unmatched events: it would never be applied.
 */
async function lockPayment(tx: SqlClient, paymentIntentId: string | null): Promise<void> {
  if (paymentIntentId) await lockStripePayment(tx, { paymentIntentId });
}

async function markEvent(tx: SqlClient, eventId: string, r: HandlerResult): Promise<void> {
  await markStripeEvent(tx, {
    eventId,
    status: r.status,
    note: r.note ?? null,
    purchaseId: r.purchaseId ?? null,
    paymentIntentId: r.paymentIntentId ?? null,
  });
}

/** Events that arrived before their payment was known, applied now that it is (oldest first). */
async function replayUnmatched(tx: SqlClient, paymentIntentId: string, exceptId: string): Promise<void> {
  const waiting = await lockUnmatchedStripeEvents<Stripe.Event>(tx, { paymentIntentId, exceptId, limit: MAX_REPLAYED_UNMATCHED });
  for (const w of waiting) {
    const result = await applyEvent(tx, w.payload);
    await markEvent(tx, w.id, { ...result, note: `${result.note ?? ""} (applied when the payment became known)`.trim() });
  }
}

/** One event's effect, inside the transaction that stored it. */
export async function applyEvent(tx: SqlClient, event: Stripe.Event): Promise<HandlerResult> {
  switch (event.type) {
    case "checkout.session.completed":
    case "checkout.session.async_payment_succeeded":
      return applyCheckoutSession(tx, event.data.object, event.id);
    case "checkout.session.expired":
      return onSessionExpired(tx, event.data.object);
    case "payment_intent.succeeded":
      return onPaymentSucceeded(tx, event.data.object, event.id);
    case "payment_intent.payment_failed":
      return onPaymentFailed(tx, event.data.object);
    case "charge.succeeded":
      return onChargeSucceeded(tx, event.data.object);
    case "charge.refunded":
      return onChargeRefunded(tx, event.data.object, event.id);
    case "charge.dispute.created":
      return onDisputeCreated(tx, event.data.object, event.id);
    case "charge.dispute.closed":
      return onDisputeClosed(tx, event.data.object, event.id);
    default:
      return { status: "ignored", note: "not an event the platform acts on" };
  }
}

function mismatch(p: LockedPurchase, amount: number | null, currency: string | null): string | null {
  if (currency?.toLowerCase() !== p.currency) return `currency ${currency} is not the purchase's ${p.currency}`;
  if (amount === null || BigInt(amount) < p.amount_minor) return `amount ${amount} is less than the purchase's ${p.amount_minor}`;
  return null;
}

/**
 * A Checkout session that is paid: credits its purchase (also used by the success page with
 * the session it retrieved from Stripe). `cause` is the event id or `retrieve:<session>`.
 */
export async function applyCheckoutSession(tx: SqlClient, session: Stripe.Checkout.Session, cause: string): Promise<HandlerResult> {
  const paymentIntentId = idOf(session.payment_intent);
  if (session.mode !== "payment") return { status: "ignored", note: `a ${session.mode}-mode session`, paymentIntentId };
  let p = await lockPurchase(tx, { sessionId: session.id });
  if (!p) {
    // Our row exists but the session id never reached it (a crash right after Stripe answered):
    // the metadata we sent names the purchase; it must be that organisation's and sessionless.
    const byMeta = await lockPurchase(tx, { purchaseId: session.metadata?.purchase_id ?? null });
    if (byMeta && byMeta.stripe_session_id === null && byMeta.org_id === session.metadata?.org_id) {
      await setPurchaseSession(tx, { purchaseId: byMeta.id, sessionId: session.id });
      byMeta.stripe_session_id = session.id;
      p = byMeta;
    }
  }
  if (!p) return { status: "unmatched", note: `no purchase for session ${session.id}`, paymentIntentId };
  const base = { purchaseId: p.id, paymentIntentId };
  const wrong = mismatch(p, session.amount_total, session.currency);
  if (wrong) return { ...base, status: "rejected", note: wrong };
  if (session.payment_status !== "paid") {
    const linked = paymentIntentId ? await linkPaymentIntent(tx, p, paymentIntentId) : null;
    if (linked === "conflict") return { ...base, status: "rejected", note: "the session names another payment than the purchase's" };
    return {
      ...base,
      status: "processed",
      note: `payment ${session.payment_status}: credited when it is paid`,
      linkedPaymentIntent: linked === "linked" ? paymentIntentId : null,
    };
  }
  if (!paymentIntentId) return { ...base, status: "rejected", note: "a paid session without a payment intent" };
  const linked = await linkPaymentIntent(tx, p, paymentIntentId);
  if (linked === "conflict") return { ...base, status: "rejected", note: "the session names another payment than the purchase's" };
  const { credited } = await creditPurchase(tx, p, paymentIntentId, cause);
  return {
    ...base,
    status: "processed",
    note: credited ? "credited" : "already credited",
    linkedPaymentIntent: linked === "linked" ? paymentIntentId : null,
  };
}

/** Gives the purchase its payment id once; another id than the one it has is a conflict. */
async function linkPaymentIntent(tx: SqlClient, p: LockedPurchase, paymentIntentId: string): Promise<"linked" | "same" | "conflict"> {
  if (p.stripe_payment_intent_id === paymentIntentId) return "same";
  if (p.stripe_payment_intent_id !== null) return "conflict";
  const other = await findPurchasesByPaymentIntent(tx, { paymentIntentId });
  if (other.length > 0) return "conflict";
  await setPurchasePaymentIntent(tx, { purchaseId: p.id, paymentIntentId });
  p.stripe_payment_intent_id = paymentIntentId;
  return "linked";
}

async function onSessionExpired(tx: SqlClient, session: Stripe.Checkout.Session): Promise<HandlerResult> {
  const p = await lockPurchase(tx, { sessionId: session.id });
  if (!p) return { status: "unmatched", note: `no purchase for session ${session.id}` };
  if (p.status === "open" || p.status === "creating") {
    await expirePurchase(tx, { purchaseId: p.id });
    return { status: "processed", note: "expired unpaid", purchaseId: p.id };
  }
  return { status: "processed", note: `already ${p.status}`, purchaseId: p.id };
}

async function onPaymentSucceeded(tx: SqlClient, pi: Stripe.PaymentIntent, cause: string): Promise<HandlerResult> {
  let p = await lockPurchase(tx, { paymentIntentId: pi.id });
  let linked: string | null = null;
  if (!p) {
    // payment_intent.succeeded may come before checkout.session.completed: the metadata we
    // gave the PaymentIntent names the purchase.
    const byMeta = await lockPurchase(tx, { purchaseId: pi.metadata?.purchase_id ?? null });
    if (byMeta && byMeta.org_id === pi.metadata?.org_id && (await linkPaymentIntent(tx, byMeta, pi.id)) === "linked") {
      p = byMeta;
      linked = pi.id;
    }
  }
  if (!p) return { status: "unmatched", note: `no purchase for payment ${pi.id}`, paymentIntentId: pi.id };
  const base = { purchaseId: p.id, paymentIntentId: pi.id, linkedPaymentIntent: linked };
  const wrong = mismatch(p, pi.amount_received, pi.currency);
  if (wrong) return { ...base, status: "rejected", note: wrong };
  const { credited } = await creditPurchase(tx, p, pi.id, cause);
  // A card saved for later (setup_future_usage) becomes the organisation's auto top-up card.
  const paymentMethod = idOf(pi.payment_method);
  const customer = idOf(pi.customer);
  if (pi.setup_future_usage === "off_session" && paymentMethod && customer) {
    await saveTopupCard(tx, { orgId: p.org_id, customerId: customer, paymentMethodId: paymentMethod });
  }
  if (p.kind === "auto_topup") {
    await resetTopupFailures(tx, { orgId: p.org_id });
  }
  return { ...base, status: "processed", note: credited ? "credited" : "already credited" };
}

async function onPaymentFailed(tx: SqlClient, pi: Stripe.PaymentIntent): Promise<HandlerResult> {
  const p = await lockPurchase(tx, { paymentIntentId: pi.id });
  if (!p) return { status: "unmatched", note: `no purchase for payment ${pi.id}`, paymentIntentId: pi.id };
  const base = { purchaseId: p.id, paymentIntentId: pi.id };
  // Checkout lets the buyer try another card on the same session: only a top-up fails here.
  if (p.kind !== "auto_topup" || p.status === "paid" || p.status === "failed") return { ...base, status: "processed", note: "no change" };
  await recordTopupFailure(tx, p.id, p.org_id, pi.last_payment_error?.message ?? "the payment failed");
  return { ...base, status: "processed", note: "top-up failed" };
}

async function onChargeSucceeded(tx: SqlClient, charge: Stripe.Charge): Promise<HandlerResult> {
  const paymentIntentId = idOf(charge.payment_intent);
  const p = await lockPurchase(tx, { paymentIntentId, chargeId: charge.id });
  if (!p) return { status: "unmatched", note: `no purchase for charge ${charge.id}`, paymentIntentId };
  await recordPurchaseCharge(tx, { purchaseId: p.id, chargeId: charge.id, receiptUrl: charge.receipt_url });
  const card = charge.payment_method_details?.card;
  const paymentMethod = idOf(charge.payment_method);
  if (card && paymentMethod) {
    const label = `${card.brand ?? "card"} •••• ${card.last4 ?? "????"}`.slice(0, 60);
    await setPaymentMethodLabel(tx, { orgId: p.org_id, paymentMethodId: paymentMethod, label });
  }
  return { status: "processed", note: "receipt recorded", purchaseId: p.id, paymentIntentId };
}

async function onChargeRefunded(tx: SqlClient, charge: Stripe.Charge, eventId: string): Promise<HandlerResult> {
  const paymentIntentId = idOf(charge.payment_intent);
  const p = await lockPurchase(tx, { paymentIntentId, chargeId: charge.id });
  if (!p) return { status: "unmatched", note: `no purchase for charge ${charge.id}`, paymentIntentId };
  const base = { purchaseId: p.id, paymentIntentId };
  if (charge.currency?.toLowerCase() !== p.currency)
    return { ...base, status: "rejected", note: `refund in ${charge.currency}, purchase in ${p.currency}` };
  // amount_refunded is cumulative: an older refund event arriving late lowers nothing.
  const refunded = BigInt(charge.amount_refunded);
  const delta = refunded - p.refunded_minor;
  if (delta <= 0n) return { ...base, status: "processed", note: "refund already applied" };
  await recordPurchaseRefund(tx, { purchaseId: p.id, refundedMinor: refunded, chargeId: charge.id, receiptUrl: charge.receipt_url });
  p.refunded_minor = refunded;
  const r = await reconcileReversals(tx, p, { eventId, kind: "refund", amountMinor: delta });
  return {
    ...base,
    status: "processed",
    note: `refunded ${delta} minor units: ${r.tokens} base units taken back, ${r.toDebt} of them as debt`,
  };
}

async function onDisputeCreated(tx: SqlClient, dispute: Stripe.Dispute, eventId: string): Promise<HandlerResult> {
  const paymentIntentId = idOf(dispute.payment_intent);
  const p = await lockPurchase(tx, { paymentIntentId, chargeId: idOf(dispute.charge) });
  if (!p) return { status: "unmatched", note: `no purchase for dispute ${dispute.id}`, paymentIntentId };
  const base = { purchaseId: p.id, paymentIntentId };
  if (await hasDisputeOpened(tx, { disputeId: dispute.id })) return { ...base, status: "processed", note: "dispute already applied" };
  const amount = BigInt(dispute.amount);
  p.disputed_minor += amount;
  await setPurchaseDisputed(tx, { purchaseId: p.id, disputedMinor: p.disputed_minor });
  const r = await reconcileReversals(tx, p, { eventId, kind: "dispute", disputeId: dispute.id, amountMinor: amount });
  if (r.tokens === 0n) {
    // Nothing to take now (not credited yet, or already refunded): keep the dispute's mark so
    // that its closing is recognised.
    const mark = { purchaseId: p.id, orgId: p.org_id, stripeEventId: eventId, stripeDisputeId: dispute.id, amountMinor: amount };
    await insertDisputeMark(tx, { kind: "dispute", ...mark });
  }
  return {
    ...base,
    status: "processed",
    note: `disputed ${amount} minor units: ${r.tokens} base units taken back, ${r.toDebt} of them as debt`,
  };
}

async function onDisputeClosed(tx: SqlClient, dispute: Stripe.Dispute, eventId: string): Promise<HandlerResult> {
  const paymentIntentId = idOf(dispute.payment_intent);
  const p = await lockPurchase(tx, { paymentIntentId, chargeId: idOf(dispute.charge) });
  if (!p) return { status: "unmatched", note: `no purchase for dispute ${dispute.id}`, paymentIntentId };
  const base = { purchaseId: p.id, paymentIntentId };
  if (dispute.status !== "won") return { ...base, status: "processed", note: `dispute closed ${dispute.status}: the tokens stay taken` };
  const rows = await loadDisputeReversals(tx, { disputeId: dispute.id });
  const opened = rows.find((r) => r.kind === "dispute");
  if (!opened) return { ...base, status: "processed", note: "won a dispute the platform never saw opened: nothing was taken" };
  if (rows.some((r) => r.kind === "dispute_won")) return { ...base, status: "processed", note: "dispute win already applied" };
  const amount = BigInt(opened.amount_minor);
  p.disputed_minor = p.disputed_minor > amount ? p.disputed_minor - amount : 0n;
  await setPurchaseDisputed(tx, { purchaseId: p.id, disputedMinor: p.disputed_minor });
  const r = await reconcileReversals(tx, p, { eventId, kind: "dispute_won", disputeId: dispute.id, amountMinor: amount });
  if (r.tokens === 0n) {
    const mark = { purchaseId: p.id, orgId: p.org_id, stripeEventId: eventId, stripeDisputeId: dispute.id, amountMinor: amount };
    await insertDisputeMark(tx, { kind: "dispute_won", ...mark });
  }
  return { ...base, status: "processed", note: `dispute won: ${-r.tokens} base units returned` };
}

/** The success page's check: a session retrieved from Stripe, applied like its event. */
export async function applyRetrievedSession(session: Stripe.Checkout.Session): Promise<HandlerResult> {
  return sqlTransaction(async (tx) => {
    await lockPayment(tx, idOf(session.payment_intent));
    const r = await applyCheckoutSession(tx, session, `retrieve:${session.id}`);
    if (r.linkedPaymentIntent) await replayUnmatched(tx, r.linkedPaymentIntent, "");
    return r;
  });
}
