import { handle, json } from "~/server/http/handle";
import { readBodyLimited } from "~/server/http/read-body";
import { MAX_STRIPE_EVENT_BYTES, receiveStripeWebhook } from "~/server/services/billing/receive-stripe-webhook";
import { methodsNotAllowed } from "~/server/http/api-fallback";

export const dynamic = "force-dynamic";

/** Stripe's webhook: the raw body and its signature go to the service untouched. */
export const POST = handle(async (req, { requestId }) => {
  const body = await readBodyLimited(req, MAX_STRIPE_EVENT_BYTES);
  const outcome = await receiveStripeWebhook({ body, signature: req.headers.get("stripe-signature"), requestId });
  return json({ received: true, ...outcome });
});

export const { GET, PUT, PATCH, DELETE } = methodsNotAllowed("POST");
