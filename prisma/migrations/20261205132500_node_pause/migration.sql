-- A provider pauses (drains) a worker: nothing new is placed on it while paused_at is set.
ALTER TABLE "nodes" ADD COLUMN "paused_at" TIMESTAMP(3);
