-- Hand-written: invariants that Prisma's schema language cannot express. The database
-- enforces them so that no code path (a raw query, a bug, a console session) can break
-- the ledger or lose a worker wake-up. Prisma's diff ignores CHECK constraints and
-- triggers, so later generated migrations leave these alone.

-- Money: an account goes below zero only when it is allowed to (stripe clearing, emission).
-- The ledger's postTransfer maps this violation (SQLSTATE 23514) to `insufficient_funds`.
ALTER TABLE "ledger_accounts"
  ADD CONSTRAINT "ledger_accounts_balance_nonnegative" CHECK ("balance" >= 0 OR "allow_negative");

-- Transfers and their entries are immutable: corrections are new transfers. Row triggers
-- do not fire on TRUNCATE, so it gets a statement trigger of its own.
CREATE FUNCTION "ledger_forbid_mutation"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'restrict_violation', TABLE = TG_TABLE_NAME,
          HINT = 'Post a correcting transfer instead.';
END;
$$;

CREATE TRIGGER "ledger_entries_immutable"
  BEFORE UPDATE OR DELETE ON "ledger_entries"
  FOR EACH ROW EXECUTE FUNCTION "ledger_forbid_mutation"();
CREATE TRIGGER "ledger_entries_no_truncate"
  BEFORE TRUNCATE ON "ledger_entries"
  FOR EACH STATEMENT EXECUTE FUNCTION "ledger_forbid_mutation"();
CREATE TRIGGER "ledger_transfers_immutable"
  BEFORE UPDATE OR DELETE ON "ledger_transfers"
  FOR EACH ROW EXECUTE FUNCTION "ledger_forbid_mutation"();
CREATE TRIGGER "ledger_transfers_no_truncate"
  BEFORE TRUNCATE ON "ledger_transfers"
  FOR EACH STATEMENT EXECUTE FUNCTION "ledger_forbid_mutation"();

-- Double entry: each transfer's entries sum to zero. Checked at commit (deferred), because
-- the entries of one transfer are inserted one statement at a time. Only INSERT can change
-- a sum: UPDATE and DELETE are refused above.
CREATE FUNCTION "ledger_check_transfer_balanced"() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  total numeric;
BEGIN
  SELECT COALESCE(SUM("amount"), 0) INTO total
    FROM "ledger_entries" WHERE "transfer_id" = NEW."transfer_id";
  IF total <> 0 THEN
    RAISE EXCEPTION 'ledger transfer % is unbalanced: its entries sum to %, not 0', NEW."transfer_id", total
      USING ERRCODE = 'check_violation', TABLE = 'ledger_entries',
            CONSTRAINT = 'ledger_entries_transfer_balanced';
  END IF;
  RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER "ledger_entries_transfer_balanced"
  AFTER INSERT ON "ledger_entries"
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION "ledger_check_transfer_balanced"();

-- The lease fencing token only counts up from 0.
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_attempt_nonnegative" CHECK ("attempt" >= 0);

-- Wake long-polling workers: one NOTIFY per new job and per change of state or node.
-- Delivered at commit, so a listener never sees a job that is not yet visible.
CREATE FUNCTION "jobs_notify"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify(
    'proofgrid_jobs',
    json_build_object('id', NEW."id", 'state', NEW."state", 'node_id', NEW."node_id")::text
  );
  RETURN NULL;
END;
$$;

CREATE TRIGGER "jobs_notify_insert"
  AFTER INSERT ON "jobs"
  FOR EACH ROW EXECUTE FUNCTION "jobs_notify"();
CREATE TRIGGER "jobs_notify_update"
  AFTER UPDATE OF "state", "node_id" ON "jobs"
  FOR EACH ROW
  WHEN (OLD."state" IS DISTINCT FROM NEW."state" OR OLD."node_id" IS DISTINCT FROM NEW."node_id")
  EXECUTE FUNCTION "jobs_notify"();
