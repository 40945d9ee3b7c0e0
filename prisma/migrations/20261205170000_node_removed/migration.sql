-- A provider removes a worker it retires. The row is kept, not deleted: its jobs, fraud
-- cases and ledger accounts keep pointing at it; its key stops working and it leaves lists.
ALTER TABLE "nodes" ADD COLUMN "removed_at" TIMESTAMP(3);
