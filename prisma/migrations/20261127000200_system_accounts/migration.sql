-- Hand-written: the platform's own ledger accounts exist from the first migration on, so
-- settlement never has to create them on its hot path. Codes match SYSTEM_ACCOUNTS in
-- packages/db/src/ledger/accounts.ts. Only the token sources (treasury, emission pool,
-- card-purchase clearing) may go below zero.
INSERT INTO "ledger_accounts" ("id", "code", "kind", "allow_negative") VALUES
  (gen_random_uuid(), 'checker_pool', 'checker_pool', false),
  (gen_random_uuid(), 'protocol_fee', 'protocol_fee', false),
  (gen_random_uuid(), 'treasury', 'treasury', true),
  (gen_random_uuid(), 'emission_pool', 'emission_pool', true),
  (gen_random_uuid(), 'stripe_clearing', 'stripe_clearing', true)
ON CONFLICT ("code") DO NOTHING;
