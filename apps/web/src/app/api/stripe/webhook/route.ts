import Stripe from "stripe";
import { getEnv } from "~/server/env";
import { AppError } from "~/server/errors";
import { handle, json } from "~/server/http/handle";
import { readBodyLimited } from "~/server/http/read-body";
import { logger } from "~/server/logger";
import { processStripeEvent } from "~/server/services/billing/process-stripe-event";
import { constructStripeEvent } from "~/server/services/billing/stripe-client";

export const dynamic = "force-dynamic";

/** Stripe's events are a few kB (a Checkout session with its line items ~10 kB). */
const MAX_EVENT_BYTES = 256 * 1024;

/**
 * Stripe's webhook. The signature is checked on the raw bytes (constructEvent: HMAC over the
 * timestamp and body, at most 5 minutes old) before anything else is read; a bad signature, a
 * stale timestamp or a changed body is a 400 and touches nothing. A verified event is stored
 * and applied once (services/billing/process-stripe-event.ts) and answered 200, also when it
 * is about a session the platform does not know. Only a failure of our own (the database)
 * answers 500, so that Stripe delivers the event again.
 */
export const POST = handle(async (req, { requestId }) => {
  const secret = getEnv().STRIPE_WEBHOOK_SECRET;
  if (!secret) throw new AppError("UNAVAILABLE", "card payments are not configured (no STRIPE_WEBHOOK_SECRET)");
  const signature = req.headers.get("stripe-signature");
  if (!signature) throw new AppError("BAD_REQUEST", "missing Stripe-Signature header");
  const body = await readBodyLimited(req, MAX_EVENT_BYTES);
  let event: Stripe.Event;
  try {
    event = constructStripeEvent(body, signature, secret);
  } catch (err) {
    if (err instanceof Stripe.errors.StripeSignatureVerificationError) {
      logger.warn({ requestId, msg: err.message }, "stripe webhook refused: signature");
      throw new AppError("BAD_REQUEST", `webhook signature verification failed: ${err.message}`);
    }
    throw new AppError("BAD_REQUEST", "webhook body is not a Stripe event");
  }
  const outcome = await processStripeEvent(event, body);
  return json({ received: true, id: event.id, ...outcome });
});
