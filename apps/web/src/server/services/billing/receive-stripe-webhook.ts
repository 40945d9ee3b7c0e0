import Stripe from "stripe";
import { getEnv } from "../../env.ts";
import { AppError } from "../../errors.ts";
import { logger } from "../../logger.ts";
import { type EventOutcome, processStripeEvent } from "./process-stripe-event.ts";
import { constructStripeEvent } from "./stripe-client.ts";

/** Stripe's events are a few kB (a Checkout session with its line items ~10 kB). */
export const MAX_STRIPE_EVENT_BYTES = 256 * 1024;

/**
 * One webhook delivery: the signature is checked on the raw bytes (constructEvent: HMAC over
 * the timestamp and body, at most 5 minutes old) before anything else is read; a bad
 * signature, a stale timestamp or a changed body is a 400 and touches nothing. A verified
 * event is stored and applied once and answered 200, also when it is about a session the
 * platform does not know. Only a failure of our own (the database) throws something else,
 * which the route answers 500, so that Stripe delivers the event again.
 */
export async function receiveStripeWebhook(opts: {
  body: Uint8Array;
  signature: string | null;
  requestId?: string;
}): Promise<EventOutcome & { id: string }> {
  const secret = getEnv().STRIPE_WEBHOOK_SECRET;
  if (!secret) throw new AppError("UNAVAILABLE", "card payments are not configured (no STRIPE_WEBHOOK_SECRET)");
  if (!opts.signature) throw new AppError("BAD_REQUEST", "missing Stripe-Signature header");
  if (opts.signature.length > 4_096) throw new AppError("BAD_REQUEST", "Stripe-Signature header too long");
  let event: Stripe.Event;
  try {
    event = constructStripeEvent(opts.body, opts.signature, secret);
  } catch (err) {
    if (err instanceof Stripe.errors.StripeSignatureVerificationError) {
      logger.warn({ requestId: opts.requestId, msg: err.message }, "stripe webhook refused: signature");
      throw new AppError("BAD_REQUEST", `webhook signature verification failed: ${err.message}`);
    }
    throw new AppError("BAD_REQUEST", "webhook body is not a Stripe event");
  }
  if (typeof event?.id !== "string" || typeof event.type !== "string" || typeof event.data?.object !== "object") {
    throw new AppError("BAD_REQUEST", "webhook body is not a Stripe event");
  }
  const outcome = await processStripeEvent(event, opts.body);
  return { id: event.id, ...outcome };
}
