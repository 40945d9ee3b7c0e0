-- CreateEnum
CREATE TYPE "ReservationStatus" AS ENUM ('active', 'released', 'ended');

-- AlterTable
ALTER TABLE "organizations" ADD COLUMN     "max_concurrent_jobs" INTEGER,
ADD COLUMN     "share_weight" INTEGER NOT NULL DEFAULT 1;

-- AlterTable
ALTER TABLE "nodes" ADD COLUMN     "ask_price_per_cu" BIGINT,
ADD COLUMN     "loaded_models" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "location_plausible" BOOLEAN NOT NULL DEFAULT true,
ADD COLUMN     "measured_rtt_ms" DOUBLE PRECISION;

-- AlterTable
ALTER TABLE "jobs" ADD COLUMN     "max_price_per_cu" BIGINT,
ADD COLUMN     "placement" JSONB,
ADD COLUMN     "reservation_id" UUID,
ADD COLUMN     "unit_price" BIGINT;

-- CreateTable
CREATE TABLE "node_outages" (
    "id" UUID NOT NULL,
    "node_id" UUID NOT NULL,
    "started_at" TIMESTAMP(3) NOT NULL,
    "ended_at" TIMESTAMP(3),

    CONSTRAINT "node_outages_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "reservations" (
    "id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "region" TEXT NOT NULL,
    "min_cu_per_hour" INTEGER NOT NULL,
    "count" INTEGER NOT NULL,
    "model_id" TEXT,
    "price_per_cu" BIGINT NOT NULL,
    "starts_at" TIMESTAMP(3) NOT NULL,
    "ends_at" TIMESTAMP(3) NOT NULL,
    "status" "ReservationStatus" NOT NULL DEFAULT 'active',
    "billed_until" TIMESTAMP(3) NOT NULL,
    "released_at" TIMESTAMP(3),
    "idempotency_key" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "reservations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "reservation_nodes" (
    "reservation_id" UUID NOT NULL,
    "node_id" UUID NOT NULL,
    "cu_per_hour" INTEGER NOT NULL,

    CONSTRAINT "reservation_nodes_pkey" PRIMARY KEY ("reservation_id","node_id")
);

-- CreateTable
CREATE TABLE "reservation_invoices" (
    "reservation_id" UUID NOT NULL,
    "period_start" TIMESTAMP(3) NOT NULL,
    "period_end" TIMESTAMP(3) NOT NULL,
    "gross" BIGINT NOT NULL,
    "outage_credit" BIGINT NOT NULL,
    "charged" BIGINT NOT NULL,
    "downtime_ms" BIGINT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "reservation_invoices_pkey" PRIMARY KEY ("reservation_id","period_start")
);

-- CreateIndex
CREATE INDEX "node_outages_node_id_started_at_idx" ON "node_outages"("node_id", "started_at");

-- CreateIndex
CREATE INDEX "reservations_status_ends_at_idx" ON "reservations"("status", "ends_at");

-- CreateIndex
CREATE UNIQUE INDEX "reservations_org_id_idempotency_key_key" ON "reservations"("org_id", "idempotency_key");

-- CreateIndex
CREATE INDEX "reservation_nodes_node_id_idx" ON "reservation_nodes"("node_id");

-- AddForeignKey
ALTER TABLE "node_outages" ADD CONSTRAINT "node_outages_node_id_fkey" FOREIGN KEY ("node_id") REFERENCES "nodes"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "reservations" ADD CONSTRAINT "reservations_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "reservation_nodes" ADD CONSTRAINT "reservation_nodes_reservation_id_fkey" FOREIGN KEY ("reservation_id") REFERENCES "reservations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "reservation_nodes" ADD CONSTRAINT "reservation_nodes_node_id_fkey" FOREIGN KEY ("node_id") REFERENCES "nodes"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "reservation_invoices" ADD CONSTRAINT "reservation_invoices_reservation_id_fkey" FOREIGN KEY ("reservation_id") REFERENCES "reservations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

