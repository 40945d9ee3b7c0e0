import type { Db } from "../db-types.ts";
import type { BillingSettingsRow } from "./billing-settings.ts";
import type { CardPurchaseRow } from "./card-purchases.ts";

// Auto top-up's rows: the organisations due one (billing_settings), its purchase
// (card_purchases, kind `auto_topup`: at most one `creating` or `open` per organisation, a
// partial unique index) and its failure count and back-off.

/** An organisation due a top-up: everything the charge needs is set. */
export type DueTopup = {
  [K in "org_id" | "stripe_customer_id" | "payment_method_id" | "auto_topup_amount"]: NonNullable<BillingSettingsRow[K]>;
};

/**
 * The organisations whose available credits are below their top-up threshold, with a card
 * saved and no back-off still running: those without a failure first, then the longest due; at most `limit`.
 */
export async function loadDueTopups(db: Db, opts: { limit: number }): Promise<DueTopup[]> {
  return db.$queryRaw<DueTopup[]>`
    SELECT s.org_id, s.stripe_customer_id, s.payment_method_id, s.auto_topup_amount::text
    FROM billing_settings s
    JOIN ledger_accounts a ON a.code = 'org:' || s.org_id || ':available'
    WHERE s.auto_topup_enabled AND s.payment_method_id IS NOT NULL AND s.stripe_customer_id IS NOT NULL
      AND s.auto_topup_amount IS NOT NULL AND s.auto_topup_threshold IS NOT NULL
      AND a.balance < s.auto_topup_threshold
      AND (s.auto_topup_next_attempt_at IS NULL OR s.auto_topup_next_attempt_at <= now())
    ORDER BY s.auto_topup_next_attempt_at NULLS FIRST LIMIT ${opts.limit}`;
}

/**
 * A new `creating` top-up purchase; null when the organisation has one in flight already
 * (the insert conflicts on the partial unique index).
 */
export async function insertTopupPurchase(
  db: Db,
  opts: { orgId: string; tokens: bigint; amountMinor: bigint; currency: string },
): Promise<string | null> {
  const rows = await db.$queryRaw<Pick<CardPurchaseRow, "id">[]>`
    INSERT INTO card_purchases (id, org_id, kind, status, tokens, amount_minor, currency, updated_at)
    VALUES (gen_random_uuid(), ${opts.orgId}::uuid, 'auto_topup', 'creating', ${opts.tokens}, ${opts.amountMinor}, ${opts.currency}, now())
    ON CONFLICT (org_id) WHERE kind = 'auto_topup' AND status IN ('creating', 'open') DO NOTHING
    RETURNING id`;
  return rows[0]?.id ?? null;
}

export type StaleTopupRow = Pick<CardPurchaseRow, "id" | "tokens" | "amount_minor" | "currency">;

/** The organisation's top-up still `creating` `staleMs` after it was last touched (its process died); null when none. */
export async function loadStaleTopupPurchase(db: Db, opts: { orgId: string; staleMs: number }): Promise<StaleTopupRow | null> {
  const rows = await db.$queryRaw<StaleTopupRow[]>`
    SELECT id, tokens::text, amount_minor::text, currency FROM card_purchases
    WHERE org_id = ${opts.orgId}::uuid AND kind = 'auto_topup' AND status = 'creating'
      AND updated_at < now() - make_interval(secs => ${opts.staleMs / 1000})`;
  return rows[0] ?? null;
}

/** Marks the purchase as worked on now (a `creating` row is stale only once it is left alone). */
export async function touchPurchase(db: Db, opts: { purchaseId: string }): Promise<void> {
  await db.$executeRaw`UPDATE card_purchases SET updated_at = now() WHERE id = ${opts.purchaseId}::uuid`;
}

/** Stripe took the charge: a `creating` top-up becomes `open`, with its payment (a payment it has stays). */
export async function openTopupPurchase(db: Db, opts: { purchaseId: string; paymentIntentId: string }): Promise<void> {
  await db.$executeRaw`
    UPDATE card_purchases SET stripe_payment_intent_id = coalesce(stripe_payment_intent_id, ${opts.paymentIntentId}),
           status = CASE WHEN status = 'creating' THEN 'open'::"CardPurchaseStatus" ELSE status END, updated_at = now()
    WHERE id = ${opts.purchaseId}::uuid`;
}

/**
 * One more failure in a row: the next try waits 2^failures minutes (a day at most), and the
 * `maxFailures`th turns auto top-up off. Returns the count and whether it is still on (null: no row).
 */
export async function countTopupFailure(
  db: Db,
  opts: { orgId: string; maxFailures: number },
): Promise<{ failures: number; enabled: boolean } | null> {
  const rows = await db.$queryRaw<{ failures: number; enabled: boolean }[]>`
    UPDATE billing_settings
    SET auto_topup_failures = auto_topup_failures + 1,
        auto_topup_next_attempt_at = now() + make_interval(mins => least(1440, power(2, auto_topup_failures + 1)::int)),
        auto_topup_enabled = auto_topup_enabled AND auto_topup_failures + 1 < ${opts.maxFailures}, updated_at = now()
    WHERE org_id = ${opts.orgId}::uuid RETURNING auto_topup_failures AS failures, auto_topup_enabled AS enabled`;
  return rows[0] ?? null;
}

/** Stripe could not be reached: back off as after a failure, but leave auto top-up on. */
export async function backOffTopup(db: Db, opts: { orgId: string }): Promise<void> {
  await db.$executeRaw`
    UPDATE billing_settings
    SET auto_topup_next_attempt_at = now() + make_interval(mins => least(1440, power(2, auto_topup_failures + 1)::int)),
        auto_topup_failures = auto_topup_failures + 1
    WHERE org_id = ${opts.orgId}::uuid`;
}

/** A top-up was paid: no failures, no back-off. */
export async function resetTopupFailures(db: Db, opts: { orgId: string }): Promise<void> {
  await db.$executeRaw`
    UPDATE billing_settings SET auto_topup_failures = 0, auto_topup_next_attempt_at = NULL WHERE org_id = ${opts.orgId}::uuid`;
}
