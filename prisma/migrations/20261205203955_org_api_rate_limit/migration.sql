-- AlterTable
ALTER TABLE "organizations" ADD COLUMN     "api_requests_per_minute" INTEGER;

