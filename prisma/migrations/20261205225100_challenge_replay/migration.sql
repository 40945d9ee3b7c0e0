-- AlterTable
ALTER TABLE "challenge_corpus" ADD COLUMN     "input" JSONB,
ADD COLUMN     "model_id" TEXT,
ADD COLUMN     "shape" JSONB;

-- CreateIndex
CREATE INDEX "challenge_corpus_model_id_uses_idx" ON "challenge_corpus"("model_id", "uses");

