import type { CardPurchaseStatus } from "@proofgrid/db/billing/card-purchases";
import { loadPurchaseStatus } from "@proofgrid/db/billing/checkouts";
import { sql } from "@proofgrid/db/sql-client";
import { z } from "zod";
import { AppError } from "../../errors.ts";
import { logger } from "../../logger.ts";
import { applyRetrievedSession } from "./process-stripe-event.ts";
import { getStripe } from "./stripe-client.ts";

export const ZConfirmCheckoutRequest = z.object({
  /** Stripe's `{CHECKOUT_SESSION_ID}` from the success URL. */
  sessionId: z.string().regex(/^cs_[A-Za-z0-9_]{1,250}$/, "a Checkout session id (cs_…)"),
});

export interface PurchaseStatus {
  purchaseId: string;
  status: CardPurchaseStatus;
  tokens: string;
  amountMinor: string;
  currency: string;
  receiptUrl: string | null;
}

async function read(orgId: string, sessionId: string): Promise<PurchaseStatus | null> {
  const r = await loadPurchaseStatus(sql(), { orgId, sessionId });
  return r
    ? { purchaseId: r.id, status: r.status, tokens: r.tokens, amountMinor: r.amount_minor, currency: r.currency, receiptUrl: r.receipt_url }
    : null;
}

/**
 * The success page: the purchase behind a session of this organisation (another's is a 404).
 * When the webhook has not credited it yet, the session is retrieved from Stripe and, if it
 * is paid, credited the way its event would (keyed by the payment's id, so the webhook that
 * follows changes nothing).
 */
export async function confirmCheckout(opts: { orgId: string; sessionId: string }): Promise<PurchaseStatus> {
  const known = await read(opts.orgId, opts.sessionId);
  if (!known) throw new AppError("NOT_FOUND", "no purchase with this session for this organisation");
  if (known.status === "paid" || known.status === "expired") return known;
  const stripe = getStripe();
  if (!stripe) return known;
  try {
    const session = await stripe.checkout.sessions.retrieve(opts.sessionId);
    await applyRetrievedSession(session);
  } catch (err) {
    // The page still answers with what is known; the webhook will credit it.
    logger.warn({ err: String(err), orgId: opts.orgId, sessionId: opts.sessionId }, "checkout session could not be retrieved");
  }
  return (await read(opts.orgId, opts.sessionId)) ?? known;
}
