import type { Db } from "../db-types.ts";

/**
 * A `billing_settings` row as raw SQL reads it (the columns any query here selects; each
 * query picks its own). int8 columns are read with a `::text` cast: decimal strings.
 */
export interface BillingSettingsRow {
  org_id: string;
  stripe_customer_id: string | null;
  payment_method_id: string | null;
  payment_method_label: string | null;
  auto_topup_enabled: boolean;
  auto_topup_threshold: string | null;
  auto_topup_amount: string | null;
  auto_topup_failures: number;
  monthly_spend_cap: string | null;
  low_balance_threshold: string | null;
  low_balance_alerted: boolean;
}

/** What the billing page shows of the settings. */
export type BillingSettingsView = Pick<
  BillingSettingsRow,
  | "monthly_spend_cap"
  | "low_balance_threshold"
  | "auto_topup_enabled"
  | "auto_topup_threshold"
  | "auto_topup_amount"
  | "auto_topup_failures"
  | "payment_method_id"
  | "payment_method_label"
>;

/** Creates the organisation's settings row with its defaults unless it exists. */
export async function ensureBillingSettings(db: Db, opts: { orgId: string }): Promise<void> {
  await db.$executeRaw`
    INSERT INTO billing_settings (org_id, updated_at) VALUES (${opts.orgId}::uuid, now()) ON CONFLICT (org_id) DO NOTHING`;
}

/** The organisation's settings; null when it never had any. */
export async function loadBillingSettings(db: Db, opts: { orgId: string }): Promise<BillingSettingsView | null> {
  const rows = await db.$queryRaw<BillingSettingsView[]>`
    SELECT monthly_spend_cap::text, low_balance_threshold::text, auto_topup_enabled, auto_topup_threshold::text, auto_topup_amount::text,
           auto_topup_failures, payment_method_id, payment_method_label
    FROM billing_settings WHERE org_id = ${opts.orgId}::uuid`;
  return rows[0] ?? null;
}

/**
 * A change to the settings: an amount left undefined stays as it is, null clears it (base
 * units otherwise). A new low-balance threshold re-arms its alert; turning auto top-up on
 * clears its failures and back-off.
 */
export interface BillingSettingsChange {
  orgId: string;
  monthlySpendCap: bigint | null | undefined;
  lowBalanceThreshold: bigint | null | undefined;
  autoTopupThreshold: bigint | null | undefined;
  autoTopupAmount: bigint | null | undefined;
  autoTopupEnabled: boolean | undefined;
}

/** Applies the change to an existing row; returns what auto top-up needs of it (null: no row). */
export async function updateBillingSettingsRow(
  db: Db,
  opts: BillingSettingsChange,
): Promise<Pick<BillingSettingsRow, "payment_method_id" | "auto_topup_threshold" | "auto_topup_amount"> | null> {
  const cap = opts.monthlySpendCap;
  const low = opts.lowBalanceThreshold;
  const threshold = opts.autoTopupThreshold;
  const amount = opts.autoTopupAmount;
  const rows = await db.$queryRaw<Pick<BillingSettingsRow, "payment_method_id" | "auto_topup_threshold" | "auto_topup_amount">[]>`
    UPDATE billing_settings SET
      monthly_spend_cap = CASE WHEN ${cap !== undefined} THEN ${cap ?? null}::bigint ELSE monthly_spend_cap END,
      low_balance_threshold = CASE WHEN ${low !== undefined} THEN ${low ?? null}::bigint ELSE low_balance_threshold END,
      low_balance_alerted = CASE WHEN ${low !== undefined} THEN false ELSE low_balance_alerted END,
      auto_topup_threshold = CASE WHEN ${threshold !== undefined} THEN ${threshold ?? null}::bigint ELSE auto_topup_threshold END,
      auto_topup_amount = CASE WHEN ${amount !== undefined} THEN ${amount ?? null}::bigint ELSE auto_topup_amount END,
      auto_topup_enabled = coalesce(${opts.autoTopupEnabled ?? null}::boolean, auto_topup_enabled),
      auto_topup_failures = CASE WHEN ${opts.autoTopupEnabled === true} THEN 0 ELSE auto_topup_failures END,
      auto_topup_next_attempt_at = CASE WHEN ${opts.autoTopupEnabled === true} THEN NULL ELSE auto_topup_next_attempt_at END,
      updated_at = now()
    WHERE org_id = ${opts.orgId}::uuid
    RETURNING payment_method_id, auto_topup_threshold::text, auto_topup_amount::text`;
  return rows[0] ?? null;
}

/** The organisation's Stripe customer (null until one is made) and the organisation's name. */
export type StripeCustomerRow = Pick<BillingSettingsRow, "stripe_customer_id"> & { name: string };

/**
 * The organisation's Stripe customer (null until one is made) and its name, creating its
 * settings row on the way; null when the organisation does not exist.
 */
export async function loadStripeCustomer(db: Db, opts: { orgId: string }): Promise<StripeCustomerRow | null> {
  const rows = await db.$queryRaw<StripeCustomerRow[]>`
    WITH s AS (
      INSERT INTO billing_settings (org_id, updated_at) VALUES (${opts.orgId}::uuid, now()) ON CONFLICT (org_id) DO NOTHING
    )
    SELECT b.stripe_customer_id, o.name FROM organizations o LEFT JOIN billing_settings b ON b.org_id = o.id
    WHERE o.id = ${opts.orgId}::uuid`;
  return rows[0] ?? null;
}

/** Saves the customer only while the row has none; returns the one it has (null: no row). */
export async function saveStripeCustomer(db: Db, opts: { orgId: string; customerId: string }): Promise<string | null> {
  const rows = await db.$queryRaw<{ stripe_customer_id: string }[]>`
    UPDATE billing_settings SET stripe_customer_id = coalesce(stripe_customer_id, ${opts.customerId}), updated_at = now()
    WHERE org_id = ${opts.orgId}::uuid RETURNING stripe_customer_id`;
  return rows[0]?.stripe_customer_id ?? null;
}

/**
 * The card saved for top-ups, when the organisation's own Stripe customer saved it; its
 * label is kept only when the card is the same one.
 */
export async function saveTopupCard(db: Db, opts: { orgId: string; customerId: string; paymentMethodId: string }): Promise<void> {
  await db.$executeRaw`
    UPDATE billing_settings SET payment_method_id = ${opts.paymentMethodId},
           payment_method_label = CASE WHEN payment_method_id = ${opts.paymentMethodId} THEN payment_method_label ELSE NULL END,
           updated_at = now()
    WHERE org_id = ${opts.orgId}::uuid AND stripe_customer_id = ${opts.customerId}`;
}

/** What a person recognises the saved card by ("visa •••• 4242"), when it is this payment method. */
export async function setPaymentMethodLabel(db: Db, opts: { orgId: string; paymentMethodId: string; label: string }): Promise<void> {
  await db.$executeRaw`
    UPDATE billing_settings SET payment_method_label = ${opts.label}
    WHERE org_id = ${opts.orgId}::uuid AND payment_method_id = ${opts.paymentMethodId}`;
}
