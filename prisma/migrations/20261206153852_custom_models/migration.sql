-- CreateEnum
CREATE TYPE "ModelVisibility" AS ENUM ('private', 'public');

-- CreateEnum
CREATE TYPE "ModelProcessing" AS ENUM ('raw');

-- AlterTable
ALTER TABLE "models" ADD COLUMN     "deterministic" BOOLEAN,
ADD COLUMN     "file_bytes" BIGINT;

-- CreateTable
CREATE TABLE "custom_models" (
    "org_id" UUID NOT NULL,
    "model_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "visibility" "ModelVisibility" NOT NULL DEFAULT 'private',
    "preprocessing" "ModelProcessing" NOT NULL DEFAULT 'raw',
    "postprocessing" "ModelProcessing" NOT NULL DEFAULT 'raw',
    "created_by_key_id" UUID,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "custom_models_pkey" PRIMARY KEY ("org_id","model_id")
);

-- CreateIndex
CREATE INDEX "custom_models_model_id_idx" ON "custom_models"("model_id");

-- CreateIndex
CREATE INDEX "custom_models_visibility_model_id_idx" ON "custom_models"("visibility", "model_id");

-- AddForeignKey
ALTER TABLE "custom_models" ADD CONSTRAINT "custom_models_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "custom_models" ADD CONSTRAINT "custom_models_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "custom_models" ADD CONSTRAINT "custom_models_created_by_key_id_fkey" FOREIGN KEY ("created_by_key_id") REFERENCES "api_keys"("id") ON DELETE SET NULL ON UPDATE CASCADE;

