-- Hand-written: the reward invariants the database enforces whatever code runs.

-- Amounts: emissions and grants are positive or zero; a grant never gives out more than it holds.
ALTER TABLE "reward_emissions"
  ADD CONSTRAINT "reward_emissions_amounts" CHECK (
    "scheduled" >= 0 AND "workers" >= 0 AND "checkers" >= 0 AND "platform" >= 0
    AND "granted" = "workers" + "checkers" + "platform" AND "granted" <= "scheduled"
  );

ALTER TABLE "reward_grants"
  ADD CONSTRAINT "reward_grants_amounts" CHECK (
    "amount" > 0 AND "basis" >= 0 AND "released" >= 0 AND "forfeited" >= 0 AND "released" + "forfeited" <= "amount"
  );

ALTER TABLE "reward_grants"
  ADD CONSTRAINT "reward_grants_vesting" CHECK ("vest_end" >= "vest_start");

ALTER TABLE "reward_claims"
  ADD CONSTRAINT "reward_claims_amounts" CHECK (
    "gross" > 0 AND "paid" >= 0 AND "haircut" >= 0 AND "gross" = "paid" + "haircut"
    AND ("requested" IS NULL OR "requested" > 0)
    AND ("kind" = 'early' OR "haircut" = 0)
  );

-- A grant is what the epoch gave: only its released and forfeited amounts move, and only up.
CREATE FUNCTION "reward_grants_guard"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW."amount" <> OLD."amount" OR NEW."org_id" <> OLD."org_id" OR NEW."epoch" <> OLD."epoch" OR NEW."role" <> OLD."role"
     OR NEW."vest_start" <> OLD."vest_start" OR NEW."vest_end" <> OLD."vest_end" THEN
    RAISE EXCEPTION 'reward grant %: amount, organisation, epoch, role and vesting cannot change', OLD."id" USING ERRCODE = 'restrict_violation';
  END IF;
  IF NEW."released" < OLD."released" OR NEW."forfeited" < OLD."forfeited" THEN
    RAISE EXCEPTION 'reward grant %: released and forfeited only grow', OLD."id" USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER "reward_grants_guard"
  BEFORE UPDATE ON "reward_grants"
  FOR EACH ROW EXECUTE FUNCTION "reward_grants_guard"();

CREATE TRIGGER "reward_grants_no_delete"
  BEFORE DELETE OR TRUNCATE ON "reward_grants"
  FOR EACH STATEMENT EXECUTE FUNCTION "ledger_forbid_mutation"();

CREATE TRIGGER "reward_claims_no_update"
  BEFORE UPDATE OR DELETE OR TRUNCATE ON "reward_claims"
  FOR EACH STATEMENT EXECUTE FUNCTION "ledger_forbid_mutation"();

CREATE TRIGGER "reward_emissions_no_delete"
  BEFORE DELETE OR TRUNCATE ON "reward_emissions"
  FOR EACH STATEMENT EXECUTE FUNCTION "ledger_forbid_mutation"();

-- Claims and the portal read an organisation's open grants.
CREATE INDEX "reward_grants_open_idx" ON "reward_grants" ("org_id", "vest_start") WHERE "released" + "forfeited" < "amount";
