-- Hand-written: every existing worker or checker node gets its held-earnings account
-- (`node:<id>:held`), which settlement credits and never creates on its hot path; new nodes
-- get theirs at registration (ensureNodeAccounts). Exposure reads held charges and released
-- times from held_earnings, so the release loop finds due rows by (state, release_at).
INSERT INTO "ledger_accounts" ("id", "code", "kind", "org_id", "allow_negative")
SELECT gen_random_uuid(), 'node:' || n."id"::text || ':held', 'held_earnings', n."org_id", false FROM "nodes" n
ON CONFLICT ("code") DO NOTHING;

ALTER TABLE "held_earnings" ADD CONSTRAINT "held_earnings_amounts_nonnegative" CHECK ("amount" >= 0 AND "charge" >= 0);
ALTER TABLE "fraud_cases" ADD CONSTRAINT "fraud_cases_amounts_nonnegative"
  CHECK ("clawed_back" >= 0 AND "slashed" >= 0 AND "refunded" >= 0 AND "to_treasury" >= 0 AND "refunded" + "to_treasury" <= "clawed_back" + "slashed");
