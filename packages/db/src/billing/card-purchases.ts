import type { Db } from "../db-types.ts";
import type { CardPurchaseKind, CardPurchaseStatus } from "../generated/prisma/enums.ts";

export type { CardPurchaseKind, CardPurchaseStatus };

/**
 * A `card_purchases` row as raw SQL reads it (the columns any query here selects; each query
 * picks its own). int8 columns arrive as decimal strings: a `::text` cast, or node-postgres.
 */
export interface CardPurchaseRow {
  id: string;
  org_id: string;
  kind: CardPurchaseKind;
  status: CardPurchaseStatus;
  tokens: string;
  amount_minor: string;
  currency: string;
  stripe_session_id: string | null;
  checkout_url: string | null;
  stripe_payment_intent_id: string | null;
  stripe_charge_id: string | null;
  receipt_url: string | null;
  refunded_minor: string;
  disputed_minor: string;
  tokens_reversed: string;
  request_hash: string | null;
}

/** A purchase locked FOR UPDATE for the ledger and the webhook, its amounts as bigints. */
export interface LockedPurchase {
  id: string;
  org_id: string;
  kind: CardPurchaseKind;
  status: CardPurchaseStatus;
  tokens: bigint;
  amount_minor: bigint;
  currency: string;
  stripe_session_id: string | null;
  stripe_payment_intent_id: string | null;
  stripe_charge_id: string | null;
  refunded_minor: bigint;
  disputed_minor: bigint;
  tokens_reversed: bigint;
}

type RawPurchase = Pick<CardPurchaseRow, keyof LockedPurchase>;

function parse(r: RawPurchase | undefined): LockedPurchase | null {
  if (!r) return null;
  return {
    ...r,
    tokens: BigInt(r.tokens),
    amount_minor: BigInt(r.amount_minor),
    refunded_minor: BigInt(r.refunded_minor),
    disputed_minor: BigInt(r.disputed_minor),
    tokens_reversed: BigInt(r.tokens_reversed),
  };
}

type PurchaseKeyName = "purchaseId" | "sessionId" | "paymentIntentId" | "chargeId";

/** One of the unique columns a purchase is found by: its id (a uuid: the caller checks the
 * form), its Checkout session, its PaymentIntent or its charge. Exactly one key. */
export type PurchaseKey = {
  [K in PurchaseKeyName]: { [P in K]: string } & { [P in Exclude<PurchaseKeyName, K>]?: never };
}[PurchaseKeyName];

/** The purchase `by` names, locked; null when none has it. */
export async function lockPurchase(db: Db, by: PurchaseKey): Promise<LockedPurchase | null> {
  // The absent keys are NULL, and `col = NULL` matches nothing. Equalities joined by OR stay
  // an index lookup in a generic plan too (a BitmapOr of the four unique indexes), where
  // `($1 IS NULL OR col = $1)` becomes a sequential scan (EXPLAIN, Postgres 18).
  const rows = await db.$queryRaw<RawPurchase[]>`
    SELECT id, org_id, kind, status, tokens, amount_minor, currency, stripe_session_id, stripe_payment_intent_id, stripe_charge_id,
           refunded_minor, disputed_minor, tokens_reversed
    FROM card_purchases
    WHERE stripe_session_id = ${by.sessionId ?? null} OR stripe_payment_intent_id = ${by.paymentIntentId ?? null}
       OR stripe_charge_id = ${by.chargeId ?? null} OR id = ${by.purchaseId ?? null}::uuid
    FOR UPDATE`;
  return parse(rows[0]);
}

/** The purchase is paid by `paymentIntentId` (its first paid_at stays). */
export async function markPurchasePaid(db: Db, opts: { purchaseId: string; paymentIntentId: string }): Promise<void> {
  await db.$executeRaw`
    UPDATE card_purchases SET status = 'paid', paid_at = coalesce(paid_at, now()), stripe_payment_intent_id = ${opts.paymentIntentId},
           failure_message = NULL, updated_at = now()
    WHERE id = ${opts.purchaseId}::uuid`;
}

/** The tokens taken back from the purchase so far (base units). */
export async function setPurchaseTokensReversed(db: Db, opts: { purchaseId: string; tokensReversed: bigint }): Promise<void> {
  await db.$executeRaw`
    UPDATE card_purchases SET tokens_reversed = ${opts.tokensReversed}, updated_at = now() WHERE id = ${opts.purchaseId}::uuid`;
}

export async function setPurchaseSession(db: Db, opts: { purchaseId: string; sessionId: string }): Promise<void> {
  await db.$executeRaw`
    UPDATE card_purchases SET stripe_session_id = ${opts.sessionId}, updated_at = now() WHERE id = ${opts.purchaseId}::uuid`;
}

/** The ids of the purchases that have this payment (at most one: the column is unique). */
export async function findPurchasesByPaymentIntent(db: Db, opts: { paymentIntentId: string }): Promise<Pick<CardPurchaseRow, "id">[]> {
  return db.$queryRaw<Pick<CardPurchaseRow, "id">[]>`
    SELECT id FROM card_purchases WHERE stripe_payment_intent_id = ${opts.paymentIntentId}`;
}

export async function setPurchasePaymentIntent(db: Db, opts: { purchaseId: string; paymentIntentId: string }): Promise<void> {
  await db.$executeRaw`
    UPDATE card_purchases SET stripe_payment_intent_id = ${opts.paymentIntentId}, updated_at = now() WHERE id = ${opts.purchaseId}::uuid`;
}

/** Gives the purchase this payment unless it has one already. */
export async function fillPurchasePaymentIntent(db: Db, opts: { purchaseId: string; paymentIntentId: string }): Promise<void> {
  await db.$executeRaw`
    UPDATE card_purchases SET stripe_payment_intent_id = coalesce(stripe_payment_intent_id, ${opts.paymentIntentId})
    WHERE id = ${opts.purchaseId}::uuid`;
}

export async function expirePurchase(db: Db, opts: { purchaseId: string }): Promise<void> {
  await db.$executeRaw`UPDATE card_purchases SET status = 'expired', updated_at = now() WHERE id = ${opts.purchaseId}::uuid`;
}

/** A purchase that is still `creating` or `open` fails with `message` (cut to 500 characters). */
export async function failOpenPurchase(db: Db, opts: { purchaseId: string; message: string }): Promise<void> {
  await db.$executeRaw`
    UPDATE card_purchases SET status = 'failed', failure_message = ${opts.message.slice(0, 500)}, updated_at = now()
    WHERE id = ${opts.purchaseId}::uuid AND status IN ('creating', 'open')`;
}

/** The charge's id (kept once set) and its receipt (a newer one wins). */
export async function recordPurchaseCharge(
  db: Db,
  opts: { purchaseId: string; chargeId: string; receiptUrl: string | null },
): Promise<void> {
  await db.$executeRaw`
    UPDATE card_purchases SET stripe_charge_id = coalesce(stripe_charge_id, ${opts.chargeId}),
           receipt_url = coalesce(${opts.receiptUrl}, receipt_url), updated_at = now()
    WHERE id = ${opts.purchaseId}::uuid`;
}

/** Stripe's cumulative refunded amount, with the charge and its receipt as recordPurchaseCharge keeps them. */
export async function recordPurchaseRefund(
  db: Db,
  opts: { purchaseId: string; refundedMinor: bigint; chargeId: string; receiptUrl: string | null },
): Promise<void> {
  await db.$executeRaw`
    UPDATE card_purchases SET refunded_minor = ${opts.refundedMinor}, stripe_charge_id = coalesce(stripe_charge_id, ${opts.chargeId}),
           receipt_url = coalesce(${opts.receiptUrl}, receipt_url), updated_at = now()
    WHERE id = ${opts.purchaseId}::uuid`;
}

/** The amount under dispute (minor units), cumulative. */
export async function setPurchaseDisputed(db: Db, opts: { purchaseId: string; disputedMinor: bigint }): Promise<void> {
  await db.$executeRaw`
    UPDATE card_purchases SET disputed_minor = ${opts.disputedMinor}, updated_at = now() WHERE id = ${opts.purchaseId}::uuid`;
}
