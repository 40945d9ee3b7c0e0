-- CreateEnum
CREATE TYPE "CardPurchaseKind" AS ENUM ('checkout', 'auto_topup');

-- CreateEnum
CREATE TYPE "CardPurchaseStatus" AS ENUM ('creating', 'open', 'paid', 'expired', 'failed');

-- CreateEnum
CREATE TYPE "CardReversalKind" AS ENUM ('refund', 'dispute', 'dispute_won');

-- CreateEnum
CREATE TYPE "StripeEventStatus" AS ENUM ('processed', 'ignored', 'unmatched', 'rejected');

-- AlterEnum
ALTER TYPE "AccountKind" ADD VALUE 'org_debt';

-- AlterTable
ALTER TABLE "api_keys" ADD COLUMN     "monthly_spend_cap" BIGINT;

-- AlterTable
ALTER TABLE "jobs" ADD COLUMN     "api_key_id" UUID;

-- CreateTable
CREATE TABLE "billing_settings" (
    "org_id" UUID NOT NULL,
    "stripe_customer_id" TEXT,
    "payment_method_id" TEXT,
    "payment_method_label" TEXT,
    "auto_topup_enabled" BOOLEAN NOT NULL DEFAULT false,
    "auto_topup_threshold" BIGINT,
    "auto_topup_amount" BIGINT,
    "auto_topup_failures" INTEGER NOT NULL DEFAULT 0,
    "auto_topup_next_attempt_at" TIMESTAMP(3),
    "monthly_spend_cap" BIGINT,
    "low_balance_threshold" BIGINT,
    "low_balance_alerted" BOOLEAN NOT NULL DEFAULT false,
    "checked_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "billing_settings_pkey" PRIMARY KEY ("org_id")
);

-- CreateTable
CREATE TABLE "card_purchases" (
    "id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "kind" "CardPurchaseKind" NOT NULL,
    "status" "CardPurchaseStatus" NOT NULL DEFAULT 'creating',
    "tokens" BIGINT NOT NULL,
    "amount_minor" BIGINT NOT NULL,
    "currency" TEXT NOT NULL,
    "stripe_session_id" TEXT,
    "checkout_url" TEXT,
    "stripe_payment_intent_id" TEXT,
    "stripe_charge_id" TEXT,
    "receipt_url" TEXT,
    "refunded_minor" BIGINT NOT NULL DEFAULT 0,
    "disputed_minor" BIGINT NOT NULL DEFAULT 0,
    "tokens_reversed" BIGINT NOT NULL DEFAULT 0,
    "idempotency_key" TEXT,
    "request_hash" TEXT,
    "created_by_user_id" UUID,
    "created_by_key_id" UUID,
    "failure_message" TEXT,
    "paid_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "card_purchases_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "card_reversals" (
    "id" UUID NOT NULL,
    "purchase_id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "stripe_event_id" TEXT NOT NULL,
    "stripe_dispute_id" TEXT,
    "kind" "CardReversalKind" NOT NULL,
    "amount_minor" BIGINT NOT NULL,
    "tokens" BIGINT NOT NULL,
    "from_balance" BIGINT NOT NULL,
    "to_debt" BIGINT NOT NULL,
    "transfer_id" UUID,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "card_reversals_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "stripe_events" (
    "id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "payload_sha256" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "livemode" BOOLEAN NOT NULL,
    "stripe_created_at" TIMESTAMP(3) NOT NULL,
    "status" "StripeEventStatus" NOT NULL,
    "note" TEXT,
    "purchase_id" UUID,
    "payment_intent_id" TEXT,
    "deliveries" INTEGER NOT NULL DEFAULT 1,
    "received_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "processed_at" TIMESTAMP(3),

    CONSTRAINT "stripe_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "billing_alerts" (
    "id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "period_key" TEXT NOT NULL,
    "data" JSONB NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "billing_alerts_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "billing_settings_stripe_customer_id_key" ON "billing_settings"("stripe_customer_id");

-- CreateIndex
CREATE INDEX "billing_settings_checked_at_idx" ON "billing_settings"("checked_at");

-- CreateIndex
CREATE UNIQUE INDEX "card_purchases_stripe_session_id_key" ON "card_purchases"("stripe_session_id");

-- CreateIndex
CREATE UNIQUE INDEX "card_purchases_stripe_payment_intent_id_key" ON "card_purchases"("stripe_payment_intent_id");

-- CreateIndex
CREATE UNIQUE INDEX "card_purchases_stripe_charge_id_key" ON "card_purchases"("stripe_charge_id");

-- CreateIndex
CREATE INDEX "card_purchases_org_id_created_at_idx" ON "card_purchases"("org_id", "created_at" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "card_purchases_org_id_idempotency_key_key" ON "card_purchases"("org_id", "idempotency_key");

-- CreateIndex
CREATE UNIQUE INDEX "card_reversals_stripe_event_id_key" ON "card_reversals"("stripe_event_id");

-- CreateIndex
CREATE INDEX "card_reversals_org_id_created_at_idx" ON "card_reversals"("org_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "card_reversals_purchase_id_idx" ON "card_reversals"("purchase_id");

-- CreateIndex
CREATE INDEX "stripe_events_payment_intent_id_idx" ON "stripe_events"("payment_intent_id");

-- CreateIndex
CREATE INDEX "stripe_events_received_at_idx" ON "stripe_events"("received_at");

-- CreateIndex
CREATE UNIQUE INDEX "billing_alerts_org_id_kind_period_key_key" ON "billing_alerts"("org_id", "kind", "period_key");

-- AddForeignKey
ALTER TABLE "billing_settings" ADD CONSTRAINT "billing_settings_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "card_purchases" ADD CONSTRAINT "card_purchases_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "card_reversals" ADD CONSTRAINT "card_reversals_purchase_id_fkey" FOREIGN KEY ("purchase_id") REFERENCES "card_purchases"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "billing_alerts" ADD CONSTRAINT "billing_alerts_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

