import Stripe from "stripe";
import { getEnv } from "../../env.ts";

let cached: { key: string; base: string | undefined; client: Stripe } | undefined;

/**
 * The process's Stripe client, or null when STRIPE_SECRET_KEY is unset (card payments off).
 * STRIPE_API_BASE points the SDK's own `protocol`/`host`/`port` options elsewhere (the tests'
 * local server); unset, it talks to api.stripe.com. The SDK retries a failed request twice
 * with the same Idempotency-Key, so a retry cannot create a second session or charge.
 */
export function getStripe(): Stripe | null {
  const env = getEnv();
  const key = env.STRIPE_SECRET_KEY;
  if (!key) return null;
  if (cached && cached.key === key && cached.base === env.STRIPE_API_BASE) return cached.client;
  const base = env.STRIPE_API_BASE ? new URL(env.STRIPE_API_BASE) : undefined;
  const client = new Stripe(key, {
    maxNetworkRetries: 2,
    timeout: 20_000,
    telemetry: false,
    appInfo: { name: "Proofgrid" },
    ...(base
      ? {
          protocol: base.protocol === "http:" ? ("http" as const) : ("https" as const),
          host: base.hostname,
          port: base.port || (base.protocol === "https:" ? 443 : 80),
        }
      : {}),
  });
  cached = { key, base: env.STRIPE_API_BASE, client };
  return client;
}

/** Verifies a webhook's signature on its raw body (Stripe's scheme: HMAC-SHA256 over
 * `timestamp.body`, at most `toleranceS` old) and parses it. Throws Stripe's
 * SignatureVerificationError otherwise. Needs no API key. */
export function constructStripeEvent(rawBody: Uint8Array | string, signature: string, secret: string, toleranceS = 300): Stripe.Event {
  return Stripe.webhooks.constructEvent(typeof rawBody === "string" ? rawBody : Buffer.from(rawBody), signature, secret, toleranceS);
}

export type { Stripe };
