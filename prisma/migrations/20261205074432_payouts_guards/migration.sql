-- Hand-written: the payout invariants the database enforces whatever code runs, and the two
-- system accounts withdrawals move through (codes match SYSTEM_ACCOUNTS in
-- packages/db/src/ledger/accounts.ts). Neither may go below zero.
INSERT INTO "ledger_accounts" ("id", "code", "kind", "allow_negative") VALUES
  (gen_random_uuid(), 'withdrawals_pending', 'withdrawals_pending', false),
  (gen_random_uuid(), 'withdrawals_paid', 'withdrawals_paid', false)
ON CONFLICT ("code") DO NOTHING;

-- Amounts: a positive gross, a fee that leaves a positive net.
ALTER TABLE "withdrawals"
  ADD CONSTRAINT "withdrawals_amounts" CHECK ("amount" > 0 AND "fee" >= 0 AND "net" > 0 AND "amount" = "fee" + "net");

-- A signed withdrawal has its whole transaction recorded (nonce, bytes, hash, sender).
ALTER TABLE "withdrawals"
  ADD CONSTRAINT "withdrawals_signed_recorded" CHECK (
    "state" IN ('queued', 'failed')
    OR ("raw_tx" IS NOT NULL AND "tx_hash" IS NOT NULL AND "nonce" IS NOT NULL AND "from_address" IS NOT NULL)
  );

-- Exactly once: a withdrawal's transaction, once recorded, never changes (a second,
-- different transaction could be mined as well), and paid or failed is final (paid twice,
-- or paid and returned, would need one of them to change).
CREATE FUNCTION "withdrawals_guard"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF OLD."raw_tx" IS NOT NULL AND NEW."raw_tx" IS DISTINCT FROM OLD."raw_tx" THEN
    RAISE EXCEPTION 'withdrawal %: its signed transaction cannot change', OLD."id" USING ERRCODE = 'restrict_violation';
  END IF;
  IF OLD."tx_hash" IS NOT NULL AND NEW."tx_hash" IS DISTINCT FROM OLD."tx_hash" THEN
    RAISE EXCEPTION 'withdrawal %: its transaction hash cannot change', OLD."id" USING ERRCODE = 'restrict_violation';
  END IF;
  IF OLD."nonce" IS NOT NULL AND NEW."nonce" IS DISTINCT FROM OLD."nonce" THEN
    RAISE EXCEPTION 'withdrawal %: its nonce cannot change', OLD."id" USING ERRCODE = 'restrict_violation';
  END IF;
  IF OLD."state" IN ('paid', 'failed') AND NEW."state" IS DISTINCT FROM OLD."state" THEN
    RAISE EXCEPTION 'withdrawal % is %: final', OLD."id", OLD."state" USING ERRCODE = 'restrict_violation';
  END IF;
  IF NEW."amount" <> OLD."amount" OR NEW."fee" <> OLD."fee" OR NEW."net" <> OLD."net" OR NEW."to_address" <> OLD."to_address" OR NEW."org_id" <> OLD."org_id" THEN
    RAISE EXCEPTION 'withdrawal %: amounts, address and organisation cannot change', OLD."id" USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER "withdrawals_guard"
  BEFORE UPDATE ON "withdrawals"
  FOR EACH ROW EXECUTE FUNCTION "withdrawals_guard"();

CREATE TRIGGER "withdrawals_no_delete"
  BEFORE DELETE OR TRUNCATE ON "withdrawals"
  FOR EACH STATEMENT EXECUTE FUNCTION "ledger_forbid_mutation"();

-- The payout loop reads only open withdrawals.
CREATE INDEX "withdrawals_open_idx" ON "withdrawals" ("created_at") WHERE "state" IN ('queued', 'signed');
