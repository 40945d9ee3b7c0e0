-- CreateEnum
CREATE TYPE "HeldEarningState" AS ENUM ('held', 'released', 'clawed');

-- CreateEnum
CREATE TYPE "FraudCaseStatus" AS ENUM ('auditing', 'settled');

-- AlterEnum
ALTER TYPE "CheckKind" ADD VALUE 'audit';

-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "AccountKind" ADD VALUE 'held_earnings';
ALTER TYPE "AccountKind" ADD VALUE 'fraud_pot';

-- AlterTable
ALTER TABLE "jobs" ADD COLUMN     "refunded_amount" BIGINT,
ADD COLUMN     "verification_note" TEXT;

-- CreateTable
CREATE TABLE "held_earnings" (
    "job_id" UUID NOT NULL,
    "node_id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "amount" BIGINT NOT NULL,
    "charge" BIGINT NOT NULL,
    "state" "HeldEarningState" NOT NULL DEFAULT 'held',
    "settled_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "release_at" TIMESTAMP(3) NOT NULL,
    "resolved_at" TIMESTAMP(3),
    "fraud_case_id" UUID,

    CONSTRAINT "held_earnings_pkey" PRIMARY KEY ("job_id")
);

-- CreateTable
CREATE TABLE "fraud_cases" (
    "id" UUID NOT NULL,
    "node_id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "check_id" UUID NOT NULL,
    "job_id" UUID,
    "clawed_back" BIGINT NOT NULL DEFAULT 0,
    "slashed" BIGINT NOT NULL DEFAULT 0,
    "refunded" BIGINT NOT NULL DEFAULT 0,
    "to_treasury" BIGINT NOT NULL DEFAULT 0,
    "audit_from" TIMESTAMP(3),
    "audit_jobs" INTEGER NOT NULL DEFAULT 0,
    "audit_mode" TEXT,
    "status" "FraudCaseStatus" NOT NULL DEFAULT 'auditing',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "settled_at" TIMESTAMP(3),

    CONSTRAINT "fraud_cases_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "fraud_audit_jobs" (
    "case_id" UUID NOT NULL,
    "job_id" UUID NOT NULL,
    "customer_org_id" UUID NOT NULL,
    "charge" BIGINT NOT NULL,
    "outcome" TEXT,
    "refunded" BIGINT NOT NULL DEFAULT 0,
    "check_id" UUID,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "resolved_at" TIMESTAMP(3),

    CONSTRAINT "fraud_audit_jobs_pkey" PRIMARY KEY ("case_id","job_id")
);

-- CreateIndex
CREATE INDEX "held_earnings_node_id_state_idx" ON "held_earnings"("node_id", "state");

-- CreateIndex
CREATE INDEX "held_earnings_state_release_at_idx" ON "held_earnings"("state", "release_at");

-- CreateIndex
CREATE UNIQUE INDEX "fraud_cases_check_id_key" ON "fraud_cases"("check_id");

-- CreateIndex
CREATE INDEX "fraud_cases_org_id_idx" ON "fraud_cases"("org_id");

-- CreateIndex
CREATE INDEX "fraud_cases_node_id_idx" ON "fraud_cases"("node_id");

-- CreateIndex
CREATE INDEX "fraud_cases_status_idx" ON "fraud_cases"("status");

-- CreateIndex
CREATE INDEX "fraud_audit_jobs_case_id_outcome_idx" ON "fraud_audit_jobs"("case_id", "outcome");

-- CreateIndex
CREATE INDEX "fraud_audit_jobs_job_id_idx" ON "fraud_audit_jobs"("job_id");

