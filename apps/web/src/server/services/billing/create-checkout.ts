import { createHash } from "node:crypto";
import { ensureBillingSettings, loadStripeCustomer, saveStripeCustomer } from "@proofgrid/db/billing/billing-settings";
import type { CardPurchaseStatus } from "@proofgrid/db/billing/card-purchases";
import {
  type CheckoutPurchaseRow,
  insertCheckoutPurchase,
  loadCheckoutPurchase,
  loadCheckoutPurchaseByKey,
  openCheckoutPurchase,
} from "@proofgrid/db/billing/checkouts";
import { sql, sqlTransaction } from "@proofgrid/db/sql-client";
import Stripe from "stripe";
import { z } from "zod";
import { AppError } from "../../errors.ts";
import { logger } from "../../logger.ts";
import { idempotencyKeyOf, type IdempotentResponse, runIdempotent, ZIdempotencyKey } from "../idempotency/run-idempotent.ts";
import { getBillingConfig } from "./billing-config.ts";
import { formatMoney } from "./price.ts";
import { BASE_UNITS_PER_TOKEN, formatTokenAmount } from "./tokens.ts";
import { getStripe } from "./stripe-client.ts";

/** Whole tokens, as a JSON number or a decimal string; anything else is a 400 that says why. */
export const ZTokenCount = z
  .union([
    z.number({ error: "a whole number of tokens, e.g. 1000" }),
    z
      .string()
      .trim()
      .regex(/^[0-9]{1,12}$/, "a whole number of tokens, e.g. 1000 (digits only)")
      .transform(Number),
  ])
  .pipe(
    z
      .number()
      .int("a whole number of tokens: fractions of a token cannot be bought")
      .positive("at least one token")
      .max(100_000_000, "at most 100,000,000 tokens"),
  );

export const ZCreateCheckoutRequest = z.object({
  /** Whole tokens to buy: one of the packs or a custom amount within the configured bounds. */
  tokens: ZTokenCount,
  /** Save the card for automatic top-ups (Checkout asks the buyer's consent). */
  saveCard: z.boolean().optional(),
});
export type TCreateCheckoutRequest = z.infer<typeof ZCreateCheckoutRequest>;

export interface CheckoutView {
  purchaseId: string;
  /** Where to send the buyer: Stripe Checkout's page (null once it is paid or expired). */
  url: string | null;
  sessionId: string | null;
  status: CardPurchaseStatus;
  /** Base units, as a decimal string. */
  tokens: string;
  amountMinor: string;
  currency: string;
  /** "1,000 tokens for $10.00": what a person reads. */
  summary: string;
  /** True when an earlier request with the same Idempotency-Key made this purchase. */
  replayed: boolean;
}

function toView(row: CheckoutPurchaseRow, replayed: boolean): CheckoutView {
  return {
    purchaseId: row.id,
    url: row.status === "open" ? row.checkout_url : null,
    sessionId: row.stripe_session_id,
    status: row.status,
    tokens: row.tokens,
    amountMinor: row.amount_minor,
    currency: row.currency,
    summary: `${formatTokenAmount(row.tokens)} tokens for ${formatMoney(row.amount_minor, row.currency)}`,
    replayed,
  };
}

/**
 * A checkout under the organisation's idempotency keys (run-idempotent.ts, operation
 * `billing.checkout`, shared by REST, tRPC and the billing page): the same key and body
 * answer the first purchase again, another body under the key is a 422, a concurrent
 * duplicate waits for the first and answers its purchase. A replay answers the purchase as
 * it is now (paid or expired: no `url`), so a buyer is never sent back to a paid session.
 */
export async function createCheckoutIdempotently(opts: {
  orgId: string;
  request: TCreateCheckoutRequest;
  origin: string | null;
  /** The Idempotency-Key header, if any. */
  headerKey: string | null;
  /** The body's (tRPC, the billing page's form) key, if any. */
  bodyKey?: string;
  createdBy: { userId?: string | null; keyId?: string | null };
}): Promise<IdempotentResponse<CheckoutView>> {
  const key = idempotencyKeyOf(opts.headerKey, opts.bodyKey);
  const request = { tokens: opts.request.tokens, saveCard: opts.request.saveCard ?? false };
  const res = await runIdempotent({ orgId: opts.orgId, operation: "billing.checkout", key, request }, async () => {
    const view = await createCheckout({ ...opts, idempotencyKey: key ?? null });
    return { status: view.replayed ? 200 : 201, body: view };
  });
  if (!res.replayed) return res;
  const row = await loadCheckoutPurchase(sql(), { purchaseId: res.body.purchaseId, orgId: opts.orgId });
  return { ...res, body: row ? toView(row, true) : { ...res.body, replayed: true } };
}

/**
 * Starts a card purchase: a Stripe Checkout session in `payment` mode for `tokens` at the
 * configured price, for the organisation's Stripe customer. The buyer is sent to `url`;
 * the tokens are credited when Stripe's webhook (or the success page's check) says it is
 * paid, never before.
 *
 * Callers go through createCheckoutIdempotently. The purchase row also keeps the key, so a
 * key older than the idempotency layer's 24 hours still names its purchase: the same
 * request returns it, another is a 422. Our row is written before
 * Stripe is called, and Stripe is called with the key `checkout:<purchase id>`, so a retry
 * after a crash or a lost answer gets the same session, never a second one.
 */
export async function createCheckout(opts: {
  orgId: string;
  request: TCreateCheckoutRequest;
  /** This site's origin, for the success and cancel pages (null: PROOFGRID_URL is needed). */
  origin: string | null;
  idempotencyKey?: string | null;
  createdBy: { userId?: string | null; keyId?: string | null };
}): Promise<CheckoutView> {
  const cfg = getBillingConfig();
  const stripe = getStripe();
  if (!stripe) {
    throw new AppError(
      "UNAVAILABLE",
      "card payments are not configured on this platform (no STRIPE_SECRET_KEY): ask an administrator to grant credits",
    );
  }
  const { tokens, saveCard = false } = opts.request;
  if (tokens < cfg.minTokens || tokens > cfg.maxTokens) {
    throw new AppError(
      "BAD_REQUEST",
      `buy between ${cfg.minTokens.toLocaleString("en-US")} and ${cfg.maxTokens.toLocaleString("en-US")} tokens at a time (asked for ${tokens.toLocaleString("en-US")})`,
      { minTokens: cfg.minTokens, maxTokens: cfg.maxTokens },
    );
  }
  if (!opts.origin) {
    throw new AppError("UNAVAILABLE", "this server does not know its public address: set PROOFGRID_URL to take card payments");
  }
  const idempotencyKey = opts.idempotencyKey ?? null;
  if (idempotencyKey !== null && !ZIdempotencyKey.safeParse(idempotencyKey).success) {
    throw new AppError("BAD_REQUEST", "Idempotency-Key must be 1 to 200 printable characters");
  }
  const baseUnits = BigInt(tokens) * BASE_UNITS_PER_TOKEN;
  const amountMinor = BigInt(tokens) * BigInt(cfg.tokenPriceMinor);
  const requestHash = createHash("sha256")
    .update(JSON.stringify({ tokens, saveCard, currency: cfg.currency, price: cfg.tokenPriceMinor }))
    .digest("hex");

  // Our row first (with the caller's key, unique per organisation): a concurrent request with
  // the same key waits on the unique index and then finds this row.
  let row = await insertCheckoutPurchase(sql(), {
    orgId: opts.orgId,
    tokens: baseUnits,
    amountMinor,
    currency: cfg.currency,
    idempotencyKey,
    requestHash,
    createdByUserId: opts.createdBy.userId ?? null,
    createdByKeyId: opts.createdBy.keyId ?? null,
  });
  let replayed = false;
  if (!row) {
    row = await loadCheckoutPurchaseByKey(sql(), { orgId: opts.orgId, idempotencyKey });
    if (!row) throw new Error("card purchase vanished after an idempotency conflict");
    if (row.request_hash !== requestHash) {
      throw new AppError(
        "UNPROCESSABLE",
        "this idempotency key was already used for a different purchase: use a new key for a new request",
        {
          idempotencyKey,
        },
      );
    }
    replayed = true;
    if (row.status !== "creating") return toView(row, true);
  }

  const customer = await ensureStripeCustomer(stripe, opts.orgId);
  const origin = opts.origin.replace(/\/$/, "");
  const orgParam = `org=${encodeURIComponent(opts.orgId)}`;
  let session: Stripe.Checkout.Session;
  try {
    session = await stripe.checkout.sessions.create(
      {
        mode: "payment",
        customer,
        client_reference_id: opts.orgId,
        line_items: [
          {
            quantity: 1,
            price_data: {
              currency: cfg.currency,
              unit_amount: Number(amountMinor),
              product_data: {
                name: `${formatTokenAmount(baseUnits)} Proofgrid tokens`,
                description: `${formatMoney(cfg.tokenPriceMinor, cfg.currency)} per token`,
              },
            },
          },
        ],
        metadata: { purchase_id: row.id, org_id: opts.orgId, tokens: String(tokens) },
        payment_intent_data: {
          metadata: { purchase_id: row.id, org_id: opts.orgId },
          ...(saveCard ? { setup_future_usage: "off_session" as const } : {}),
        },
        success_url: `${origin}/dashboard/billing/success?session_id={CHECKOUT_SESSION_ID}&${orgParam}`,
        cancel_url: `${origin}/dashboard/billing/cancel?purchase=${row.id}&${orgParam}`,
      },
      { idempotencyKey: `checkout:${row.id}` },
    );
  } catch (err) {
    throw stripeFailure(err, { orgId: opts.orgId, purchaseId: row.id });
  }
  const paymentIntent = typeof session.payment_intent === "string" ? session.payment_intent : (session.payment_intent?.id ?? null);
  const updated = await openCheckoutPurchase(sql(), {
    purchaseId: row.id,
    sessionId: session.id,
    checkoutUrl: session.url,
    paymentIntentId: paymentIntent,
  });
  const result = updated ?? row;
  logger.info(
    { orgId: opts.orgId, purchaseId: row.id, sessionId: session.id, tokens, amountMinor: amountMinor.toString() },
    "checkout session created",
  );
  return toView(result, replayed);
}

/**
 * The organisation's Stripe customer, created once: the key `customer:<org>` makes
 * concurrent first purchases get the same customer from Stripe, and the row is only filled
 * while empty.
 */
export async function ensureStripeCustomer(stripe: Stripe, orgId: string): Promise<string> {
  const current = await loadStripeCustomer(sql(), { orgId });
  if (!current) throw new AppError("NOT_FOUND", "organisation not found");
  if (current.stripe_customer_id) return current.stripe_customer_id;
  let customer: Stripe.Customer;
  try {
    customer = await stripe.customers.create(
      { name: current.name.slice(0, 256), metadata: { org_id: orgId } },
      { idempotencyKey: `customer:${orgId}` },
    );
  } catch (err) {
    throw stripeFailure(err, { orgId });
  }
  const saved = await sqlTransaction(async (tx) => {
    await ensureBillingSettings(tx, { orgId });
    return saveStripeCustomer(tx, { orgId, customerId: customer.id });
  });
  return saved ?? customer.id;
}

/** A Stripe failure as the caller should hear it: Stripe's message, never a bare 500. */
export function stripeFailure(err: unknown, ids: Record<string, string>): AppError {
  if (err instanceof Stripe.errors.StripeError) {
    logger.warn({ ...ids, type: err.type, code: err.code, status: err.statusCode, msg: err.message }, "stripe refused a request");
    if (err instanceof Stripe.errors.StripeCardError) return new AppError("INSUFFICIENT_CREDITS", `the card was declined: ${err.message}`);
    return new AppError(
      "UNAVAILABLE",
      `the payment provider could not take this request (${err.message}); nothing was charged, try again in a moment`,
    );
  }
  return err instanceof AppError
    ? err
    : new AppError("UNAVAILABLE", "the payment provider could not be reached; nothing was charged, try again in a moment");
}
