-- Hand-written: the protocol's own organisation, which owns challenge jobs (capability
-- challenges, standby checks, latency probes, canaries). Its jobs are held and settled
-- like any customer's, so a worker sees nothing different; the coordinator funds each one
-- from the emission pool just before submitting it. The id is fixed so every replica and
-- the tests agree on it (apps/web/src/server/services/verification/protocol-org.ts).
INSERT INTO "organizations" ("id", "name", "slug", "kind")
VALUES ('00000000-0000-4000-8000-00000000c0de', 'Proofgrid protocol', 'proofgrid-protocol', 'customer')
ON CONFLICT ("id") DO NOTHING;

INSERT INTO "ledger_accounts" ("id", "code", "kind", "org_id", "allow_negative") VALUES
  (gen_random_uuid(), 'org:00000000-0000-4000-8000-00000000c0de:available', 'org_available', '00000000-0000-4000-8000-00000000c0de', false),
  (gen_random_uuid(), 'org:00000000-0000-4000-8000-00000000c0de:held', 'org_held', '00000000-0000-4000-8000-00000000c0de', false)
ON CONFLICT ("code") DO NOTHING;

-- A checker never checks its own provider's workers: the lease query filters on this pair.
CREATE INDEX "checks_queued_idx" ON "checks" ("created_at") WHERE "status" = 'queued';
-- Pinned (challenge) jobs are found by node.
CREATE INDEX "jobs_pinned_queued_idx" ON "jobs" ("pinned_node_id") WHERE "state" = 'queued' AND "pinned_node_id" IS NOT NULL;
