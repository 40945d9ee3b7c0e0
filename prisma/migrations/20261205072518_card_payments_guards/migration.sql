-- Hand-written: invariants of card payments that Prisma's schema language cannot express.

-- A purchase credits a positive number of tokens for a positive amount; what has been taken
-- back never exceeds what was credited, and Stripe's cumulative amounts never go negative.
ALTER TABLE "card_purchases"
  ADD CONSTRAINT "card_purchases_amounts_positive" CHECK ("tokens" > 0 AND "amount_minor" > 0),
  ADD CONSTRAINT "card_purchases_reversal_bounds" CHECK (
    "refunded_minor" >= 0 AND "disputed_minor" >= 0 AND "tokens_reversed" >= 0 AND "tokens_reversed" <= "tokens");

-- At most one off-session top-up in flight per organisation: the billing watch may run on
-- several coordinators in turn, and a crash between our row and Stripe's answer must not
-- start a second charge.
CREATE UNIQUE INDEX "card_purchases_one_topup_in_flight" ON "card_purchases" ("org_id")
  WHERE "kind" = 'auto_topup' AND "status" IN ('creating', 'open');

-- Caps: a spend cap or an alert threshold is a positive amount when set.
ALTER TABLE "billing_settings"
  ADD CONSTRAINT "billing_settings_amounts_positive" CHECK (
    ("monthly_spend_cap" IS NULL OR "monthly_spend_cap" > 0) AND
    ("low_balance_threshold" IS NULL OR "low_balance_threshold" > 0) AND
    ("auto_topup_threshold" IS NULL OR "auto_topup_threshold" > 0) AND
    ("auto_topup_amount" IS NULL OR "auto_topup_amount" > 0));
ALTER TABLE "api_keys"
  ADD CONSTRAINT "api_keys_spend_cap_positive" CHECK ("monthly_spend_cap" IS NULL OR "monthly_spend_cap" > 0);

-- A key's monthly spend is summed over the jobs it submitted this month; most jobs of the
-- dashboard have no key, so the index holds only those that do.
CREATE INDEX "jobs_api_key_created_idx" ON "jobs" ("api_key_id", "created_at") WHERE "api_key_id" IS NOT NULL;

-- Debt is owed, never held: an org_debt account stays at or below zero (repayments stop at
-- zero). Its own migration: a new enum value is usable only after the ALTER TYPE committed.
ALTER TABLE "ledger_accounts"
  ADD CONSTRAINT "ledger_accounts_debt_nonpositive" CHECK ("kind" <> 'org_debt' OR "balance" <= 0);

-- The billing history lists an organisation's grants: few transfers among millions of holds
-- and settlements, found through this index rather than the organisation's entries.
CREATE INDEX "ledger_transfers_grants_idx" ON "ledger_transfers" ("created_at") WHERE "kind" = 'grant';
