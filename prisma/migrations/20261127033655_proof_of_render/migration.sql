-- CreateEnum
CREATE TYPE "VerificationStatus" AS ENUM ('unverified', 'pending', 'verified', 'disputed', 'inconclusive', 'refunded');

-- CreateEnum
CREATE TYPE "JobPurpose" AS ENUM ('customer', 'challenge', 'rerun');

-- CreateEnum
CREATE TYPE "CheckKind" AS ENUM ('registration', 'standby', 'latency', 'canary', 'reexecution', 'dispute', 'planted');

-- CreateEnum
CREATE TYPE "CheckStatus" AS ENUM ('waiting', 'queued', 'leased', 'done', 'canceled');

-- CreateEnum
CREATE TYPE "CheckVerdict" AS ENUM ('pass', 'fail', 'fraud', 'inconclusive');

-- CreateEnum
CREATE TYPE "NodeAdmission" AS ENUM ('pending', 'passed', 'derated', 'refused');

-- AlterTable
ALTER TABLE "nodes" ADD COLUMN     "admission" "NodeAdmission" NOT NULL DEFAULT 'pending',
ADD COLUMN     "completed_jobs" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "last_checked_at" TIMESTAMP(3),
ADD COLUMN     "priority_factor" DOUBLE PRECISION NOT NULL DEFAULT 1,
ADD COLUMN     "quarantine_reason" TEXT,
ADD COLUMN     "reputation" JSONB,
ADD COLUMN     "reputation_score" DOUBLE PRECISION NOT NULL DEFAULT 0.5;

-- AlterTable
ALTER TABLE "jobs" ADD COLUMN     "check_id" UUID,
ADD COLUMN     "pinned_node_id" UUID,
ADD COLUMN     "purpose" "JobPurpose" NOT NULL DEFAULT 'customer',
ADD COLUMN     "rerun_of_id" UUID,
ADD COLUMN     "verification" "VerificationStatus" NOT NULL DEFAULT 'unverified';

-- CreateTable
CREATE TABLE "checker_licences" (
    "id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "node_id" UUID,
    "note" TEXT,
    "granted_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMP(3),

    CONSTRAINT "checker_licences_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "checks" (
    "id" UUID NOT NULL,
    "kind" "CheckKind" NOT NULL,
    "status" "CheckStatus" NOT NULL DEFAULT 'queued',
    "subject_node_id" UUID NOT NULL,
    "subject_org_id" UUID NOT NULL,
    "checker_node_id" UUID,
    "job_id" UUID,
    "parent_check_id" UUID,
    "model_id" TEXT NOT NULL,
    "seed" TEXT,
    "planned_jobs" INTEGER NOT NULL DEFAULT 0,
    "attempt" INTEGER NOT NULL DEFAULT 0,
    "lease_expires_at" TIMESTAMP(3),
    "verdict" "CheckVerdict",
    "evidence" JSONB,
    "measured_cu_per_hour" INTEGER,
    "planted_output" JSONB,
    "checker_signature" TEXT,
    "epoch" INTEGER NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "leased_at" TIMESTAMP(3),
    "finished_at" TIMESTAMP(3),

    CONSTRAINT "checks_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "epochs" (
    "id" INTEGER NOT NULL,
    "starts_at" TIMESTAMP(3) NOT NULL,
    "ends_at" TIMESTAMP(3) NOT NULL,
    "customer_jobs" INTEGER NOT NULL DEFAULT 0,
    "challenge_jobs" INTEGER NOT NULL DEFAULT 0,
    "checks_run" INTEGER NOT NULL DEFAULT 0,
    "passes" INTEGER NOT NULL DEFAULT 0,
    "mismatches" INTEGER NOT NULL DEFAULT 0,
    "frauds" INTEGER NOT NULL DEFAULT 0,
    "slashes" INTEGER NOT NULL DEFAULT 0,
    "slashed_amount" BIGINT NOT NULL DEFAULT 0,
    "refunds" INTEGER NOT NULL DEFAULT 0,
    "reexecuted" INTEGER NOT NULL DEFAULT 0,
    "recheck_rate" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "checker_rewards" BIGINT NOT NULL DEFAULT 0,
    "closed_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "epochs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "slashes" (
    "id" UUID NOT NULL,
    "node_id" UUID NOT NULL,
    "check_id" UUID NOT NULL,
    "job_id" UUID,
    "amount" BIGINT NOT NULL,
    "refunded" BIGINT NOT NULL DEFAULT 0,
    "epoch" INTEGER NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "slashes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "unbond_requests" (
    "id" UUID NOT NULL,
    "node_id" UUID NOT NULL,
    "amount" BIGINT NOT NULL,
    "requested_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "release_at" TIMESTAMP(3) NOT NULL,
    "released_at" TIMESTAMP(3),

    CONSTRAINT "unbond_requests_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "node_verdicts" (
    "id" BIGSERIAL NOT NULL,
    "node_id" UUID NOT NULL,
    "check_id" UUID NOT NULL,
    "role" TEXT NOT NULL,
    "verdict" "CheckVerdict" NOT NULL,
    "reason" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "node_verdicts_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "checker_licences_node_id_key" ON "checker_licences"("node_id");

-- CreateIndex
CREATE INDEX "checker_licences_org_id_idx" ON "checker_licences"("org_id");

-- CreateIndex
CREATE INDEX "checks_status_created_at_idx" ON "checks"("status", "created_at");

-- CreateIndex
CREATE INDEX "checks_subject_node_id_created_at_idx" ON "checks"("subject_node_id", "created_at");

-- CreateIndex
CREATE INDEX "checks_checker_node_id_created_at_idx" ON "checks"("checker_node_id", "created_at");

-- CreateIndex
CREATE INDEX "checks_job_id_idx" ON "checks"("job_id");

-- CreateIndex
CREATE INDEX "checks_epoch_idx" ON "checks"("epoch");

-- CreateIndex
CREATE UNIQUE INDEX "slashes_check_id_key" ON "slashes"("check_id");

-- CreateIndex
CREATE INDEX "slashes_node_id_idx" ON "slashes"("node_id");

-- CreateIndex
CREATE INDEX "slashes_epoch_idx" ON "slashes"("epoch");

-- CreateIndex
CREATE INDEX "unbond_requests_release_at_idx" ON "unbond_requests"("release_at");

-- CreateIndex
CREATE INDEX "node_verdicts_node_id_id_idx" ON "node_verdicts"("node_id", "id");

-- CreateIndex
CREATE UNIQUE INDEX "node_verdicts_node_id_check_id_role_key" ON "node_verdicts"("node_id", "check_id", "role");

-- CreateIndex
CREATE UNIQUE INDEX "jobs_rerun_of_id_key" ON "jobs"("rerun_of_id");

-- CreateIndex
CREATE INDEX "jobs_check_id_idx" ON "jobs"("check_id");

-- AddForeignKey
ALTER TABLE "checker_licences" ADD CONSTRAINT "checker_licences_node_id_fkey" FOREIGN KEY ("node_id") REFERENCES "nodes"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "unbond_requests" ADD CONSTRAINT "unbond_requests_node_id_fkey" FOREIGN KEY ("node_id") REFERENCES "nodes"("id") ON DELETE CASCADE ON UPDATE CASCADE;

