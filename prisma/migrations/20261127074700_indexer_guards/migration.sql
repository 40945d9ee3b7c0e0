-- Hand-written: indexes and guards for the indexer's dispatch and reservations that
-- schema.prisma cannot express.

-- The dispatcher reads each organisation's oldest queued jobs (weighted fair queuing).
CREATE INDEX "jobs_queued_org_created_idx" ON "jobs" ("org_id", "created_at") WHERE "state" = 'queued';
-- Open work per node (assigned or running) sizes its free slots.
CREATE INDEX "jobs_open_node_idx" ON "jobs" ("node_id") WHERE "state" IN ('assigned', 'running');
-- ... and per organisation, its concurrency against its limit.
CREATE INDEX "jobs_open_org_idx" ON "jobs" ("org_id") WHERE "state" IN ('assigned', 'running');

-- At most one open outage per node.
CREATE UNIQUE INDEX "node_outages_open_idx" ON "node_outages" ("node_id") WHERE "ended_at" IS NULL;

ALTER TABLE "reservations" ADD CONSTRAINT "reservations_window" CHECK ("ends_at" > "starts_at");
ALTER TABLE "reservations" ADD CONSTRAINT "reservations_count" CHECK ("count" BETWEEN 1 AND 64);
ALTER TABLE "reservations" ADD CONSTRAINT "reservations_price" CHECK ("price_per_cu" > 0);
ALTER TABLE "reservations" ADD CONSTRAINT "reservations_billed" CHECK ("billed_until" >= "starts_at" AND "billed_until" <= "ends_at");
ALTER TABLE "reservation_invoices" ADD CONSTRAINT "reservation_invoices_amounts"
  CHECK ("gross" >= 0 AND "outage_credit" >= 0 AND "outage_credit" <= "gross" AND "charged" = "gross" - "outage_credit");
ALTER TABLE "nodes" ADD CONSTRAINT "nodes_ask_price" CHECK ("ask_price_per_cu" IS NULL OR "ask_price_per_cu" > 0);
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_max_price" CHECK ("max_price_per_cu" IS NULL OR "max_price_per_cu" > 0);
