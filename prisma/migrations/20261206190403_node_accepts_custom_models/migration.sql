-- AlterTable
ALTER TABLE "nodes" ADD COLUMN     "accepts_custom_models" BOOLEAN NOT NULL DEFAULT false;

