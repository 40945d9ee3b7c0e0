-- AlterTable
ALTER TABLE "outbound_emails" ADD COLUMN     "next_attempt_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

