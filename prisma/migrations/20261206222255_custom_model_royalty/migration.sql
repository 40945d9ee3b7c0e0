-- AlterTable
ALTER TABLE "custom_models" ADD COLUMN     "royalty" BIGINT NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "jobs" ADD COLUMN     "royalty" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN     "royalty_org_id" UUID;
