-- CreateEnum
CREATE TYPE "RewardRole" AS ENUM ('worker', 'checker', 'platform');

-- CreateEnum
CREATE TYPE "RewardClaimKind" AS ENUM ('vested', 'early');

-- CreateTable
CREATE TABLE "reward_emissions" (
    "epoch" INTEGER NOT NULL,
    "scheduled" BIGINT NOT NULL,
    "granted" BIGINT NOT NULL DEFAULT 0,
    "workers" BIGINT NOT NULL DEFAULT 0,
    "checkers" BIGINT NOT NULL DEFAULT 0,
    "platform" BIGINT NOT NULL DEFAULT 0,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "reward_emissions_pkey" PRIMARY KEY ("epoch")
);

-- CreateTable
CREATE TABLE "reward_grants" (
    "id" UUID NOT NULL,
    "epoch" INTEGER NOT NULL,
    "org_id" UUID NOT NULL,
    "role" "RewardRole" NOT NULL,
    "amount" BIGINT NOT NULL,
    "basis" BIGINT NOT NULL DEFAULT 0,
    "vest_start" TIMESTAMP(3) NOT NULL,
    "vest_end" TIMESTAMP(3) NOT NULL,
    "released" BIGINT NOT NULL DEFAULT 0,
    "forfeited" BIGINT NOT NULL DEFAULT 0,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "reward_grants_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "reward_claims" (
    "id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "kind" "RewardClaimKind" NOT NULL,
    "grant_id" UUID,
    "requested" BIGINT,
    "gross" BIGINT NOT NULL,
    "paid" BIGINT NOT NULL,
    "haircut" BIGINT NOT NULL DEFAULT 0,
    "idempotency_key" TEXT,
    "requested_by" UUID,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "reward_claims_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "reward_grants_org_id_vest_start_idx" ON "reward_grants"("org_id", "vest_start");

-- CreateIndex
CREATE UNIQUE INDEX "reward_grants_epoch_org_id_role_key" ON "reward_grants"("epoch", "org_id", "role");

-- CreateIndex
CREATE INDEX "reward_claims_org_id_created_at_idx" ON "reward_claims"("org_id", "created_at" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "reward_claims_org_id_idempotency_key_key" ON "reward_claims"("org_id", "idempotency_key");

