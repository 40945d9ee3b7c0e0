-- CreateEnum
CREATE TYPE "WithdrawalState" AS ENUM ('queued', 'signed', 'paid', 'failed');

-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "AccountKind" ADD VALUE 'withdrawals_pending';
ALTER TYPE "AccountKind" ADD VALUE 'withdrawals_paid';

-- CreateTable
CREATE TABLE "payout_addresses" (
    "org_id" UUID NOT NULL,
    "address" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "signature" TEXT NOT NULL,
    "verified_by" UUID,
    "verified_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "payout_addresses_pkey" PRIMARY KEY ("org_id")
);

-- CreateTable
CREATE TABLE "payout_address_challenges" (
    "id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "address" TEXT NOT NULL,
    "nonce" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "used_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "payout_address_challenges_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "withdrawals" (
    "id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "amount" BIGINT NOT NULL,
    "fee" BIGINT NOT NULL,
    "net" BIGINT NOT NULL,
    "to_address" TEXT NOT NULL,
    "chain_id" INTEGER NOT NULL,
    "token_address" TEXT NOT NULL,
    "state" "WithdrawalState" NOT NULL DEFAULT 'queued',
    "idempotency_key" TEXT,
    "requested_by" UUID,
    "from_address" TEXT,
    "nonce" BIGINT,
    "raw_tx" TEXT,
    "tx_hash" TEXT,
    "signed_at" TIMESTAMP(3),
    "signed_at_block" BIGINT,
    "broadcast_count" INTEGER NOT NULL DEFAULT 0,
    "last_broadcast_at" TIMESTAMP(3),
    "mined_block" BIGINT,
    "paid_at" TIMESTAMP(3),
    "failed_at" TIMESTAMP(3),
    "failure_reason" TEXT,
    "last_error" TEXT,
    "nonce_taken_since" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "withdrawals_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "payout_wallets" (
    "chain_id" INTEGER NOT NULL,
    "address" TEXT NOT NULL,
    "next_nonce" BIGINT NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "payout_wallets_pkey" PRIMARY KEY ("chain_id","address")
);

-- CreateIndex
CREATE UNIQUE INDEX "payout_address_challenges_nonce_key" ON "payout_address_challenges"("nonce");

-- CreateIndex
CREATE INDEX "payout_address_challenges_org_id_created_at_idx" ON "payout_address_challenges"("org_id", "created_at");

-- CreateIndex
CREATE INDEX "payout_address_challenges_expires_at_idx" ON "payout_address_challenges"("expires_at");

-- CreateIndex
CREATE UNIQUE INDEX "withdrawals_tx_hash_key" ON "withdrawals"("tx_hash");

-- CreateIndex
CREATE INDEX "withdrawals_state_created_at_idx" ON "withdrawals"("state", "created_at");

-- CreateIndex
CREATE INDEX "withdrawals_org_id_created_at_idx" ON "withdrawals"("org_id", "created_at" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "withdrawals_org_id_idempotency_key_key" ON "withdrawals"("org_id", "idempotency_key");

-- CreateIndex
CREATE UNIQUE INDEX "withdrawals_chain_id_from_address_nonce_key" ON "withdrawals"("chain_id", "from_address", "nonce");

