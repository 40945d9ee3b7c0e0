-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "ModelProcessing" ADD VALUE 'image';
ALTER TYPE "ModelProcessing" ADD VALUE 'text';
ALTER TYPE "ModelProcessing" ADD VALUE 'softmax';
ALTER TYPE "ModelProcessing" ADD VALUE 'labels';

-- AlterTable
ALTER TABLE "custom_models" ADD COLUMN     "processing_options" JSONB;

-- AlterTable
ALTER TABLE "jobs" ADD COLUMN     "processing_org_id" UUID;

