import type { Db } from "../db-types.ts";
import type { CardPurchaseRow } from "./card-purchases.ts";

/** What a Checkout purchase answers its buyer with (and the digest a replayed key is checked against). */
export type CheckoutPurchaseRow = Pick<
  CardPurchaseRow,
  "id" | "status" | "tokens" | "amount_minor" | "currency" | "stripe_session_id" | "checkout_url" | "request_hash"
>;

/** What the success page shows of a purchase. */
export type PurchaseStatusRow = Pick<CardPurchaseRow, "id" | "status" | "tokens" | "amount_minor" | "currency" | "receipt_url">;

/** The organisation's purchase by id; null when it has none with that id. */
export async function loadCheckoutPurchase(db: Db, opts: { purchaseId: string; orgId: string }): Promise<CheckoutPurchaseRow | null> {
  const rows = await db.$queryRaw<CheckoutPurchaseRow[]>`
    SELECT id, status, tokens::text, amount_minor::text, currency, stripe_session_id, checkout_url, request_hash
    FROM card_purchases WHERE id = ${opts.purchaseId}::uuid AND org_id = ${opts.orgId}::uuid`;
  return rows[0] ?? null;
}

export interface InsertCheckoutPurchaseOptions {
  orgId: string;
  /** Base units. */
  tokens: bigint;
  amountMinor: bigint;
  currency: string;
  /** The caller's Idempotency-Key (unique per organisation), if any. */
  idempotencyKey: string | null;
  requestHash: string;
  createdByUserId: string | null;
  createdByKeyId: string | null;
}

/**
 * A new `creating` Checkout purchase, or null when the organisation already has one under
 * this idempotency key (a concurrent request with the same key waits on the unique index).
 */
export async function insertCheckoutPurchase(db: Db, opts: InsertCheckoutPurchaseOptions): Promise<CheckoutPurchaseRow | null> {
  const rows = await db.$queryRaw<CheckoutPurchaseRow[]>`
    INSERT INTO card_purchases
      (id, org_id, kind, status, tokens, amount_minor, currency, idempotency_key, request_hash, created_by_user_id, created_by_key_id,
       updated_at)
    VALUES (gen_random_uuid(), ${opts.orgId}::uuid, 'checkout', 'creating', ${opts.tokens}, ${opts.amountMinor}, ${opts.currency},
            ${opts.idempotencyKey}, ${opts.requestHash}, ${opts.createdByUserId}::uuid, ${opts.createdByKeyId}::uuid, now())
    ON CONFLICT (org_id, idempotency_key) DO NOTHING
    RETURNING id, status, tokens::text, amount_minor::text, currency, stripe_session_id, checkout_url, request_hash`;
  return rows[0] ?? null;
}

/** The organisation's purchase made under this idempotency key; null when none. */
export async function loadCheckoutPurchaseByKey(
  db: Db,
  opts: { orgId: string; idempotencyKey: string | null },
): Promise<CheckoutPurchaseRow | null> {
  const rows = await db.$queryRaw<CheckoutPurchaseRow[]>`
    SELECT id, status, tokens::text, amount_minor::text, currency, stripe_session_id, checkout_url, request_hash
    FROM card_purchases WHERE org_id = ${opts.orgId}::uuid AND idempotency_key = ${opts.idempotencyKey}`;
  return rows[0] ?? null;
}

/**
 * The session Stripe made for the purchase: a `creating` purchase becomes `open` (one the
 * webhook already moved on keeps its status), and a payment it already has stays.
 */
export async function openCheckoutPurchase(
  db: Db,
  opts: { purchaseId: string; sessionId: string; checkoutUrl: string | null; paymentIntentId: string | null },
): Promise<CheckoutPurchaseRow | null> {
  const rows = await db.$queryRaw<CheckoutPurchaseRow[]>`
    UPDATE card_purchases
    SET status = CASE WHEN status = 'creating' THEN 'open'::"CardPurchaseStatus" ELSE status END,
        stripe_session_id = ${opts.sessionId}, checkout_url = ${opts.checkoutUrl},
        stripe_payment_intent_id = coalesce(stripe_payment_intent_id, ${opts.paymentIntentId}), updated_at = now()
    WHERE id = ${opts.purchaseId}::uuid
    RETURNING id, status, tokens::text, amount_minor::text, currency, stripe_session_id, checkout_url, request_hash`;
  return rows[0] ?? null;
}

/** The organisation's purchase of a Checkout session (another organisation's is null). */
export async function loadPurchaseStatus(db: Db, opts: { orgId: string; sessionId: string }): Promise<PurchaseStatusRow | null> {
  const rows = await db.$queryRaw<PurchaseStatusRow[]>`
    SELECT id, status, tokens::text, amount_minor::text, currency, receipt_url FROM card_purchases
    WHERE org_id = ${opts.orgId}::uuid AND stripe_session_id = ${opts.sessionId}`;
  return rows[0] ?? null;
}

/** Checkout rows still `creating` after `staleHours` never got their session: they fail. */
export async function failStaleCheckouts(db: Db, opts: { staleHours: number }): Promise<number> {
  return db.$executeRaw`
    UPDATE card_purchases SET status = 'failed', failure_message = 'the checkout session was never created', updated_at = now()
    WHERE kind = 'checkout' AND status = 'creating' AND created_at < now() - make_interval(hours => ${opts.staleHours})`;
}
