-- AlterTable
ALTER TABLE "organizations" ADD COLUMN     "donates_challenge_inputs" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "nodes" ADD COLUMN     "idle_since" TIMESTAMP(3),
ADD COLUMN     "machine_busy" DOUBLE PRECISION,
ADD COLUMN     "remeasure_after" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "challenge_corpus" (
    "id" BIGSERIAL NOT NULL,
    "kind" TEXT NOT NULL,
    "text" TEXT,
    "audio" BYTEA,
    "duration_ms" INTEGER,
    "source_job_id" UUID NOT NULL,
    "source_org_id" UUID,
    "uses" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "challenge_corpus_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "traffic_samples" (
    "id" BIGSERIAL NOT NULL,
    "model_id" TEXT NOT NULL,
    "job_id" UUID NOT NULL,
    "sample" JSONB NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "traffic_samples_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "challenge_corpus_kind_uses_idx" ON "challenge_corpus"("kind", "uses");

-- CreateIndex
CREATE UNIQUE INDEX "traffic_samples_job_id_key" ON "traffic_samples"("job_id");

-- CreateIndex
CREATE INDEX "traffic_samples_model_id_id_idx" ON "traffic_samples"("model_id", "id");

