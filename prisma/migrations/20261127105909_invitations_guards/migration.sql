-- Hand-written: at most one open invitation per organisation and email (an expired one is
-- revoked by the service before a new one is made); emails are stored lower-cased.
CREATE UNIQUE INDEX "invitations_open_org_email_idx" ON "invitations" ("org_id", "email") WHERE "accepted_at" IS NULL AND "revoked_at" IS NULL;
ALTER TABLE "invitations" ADD CONSTRAINT "invitations_email_lower" CHECK ("email" = lower("email") AND length("email") BETWEEN 3 AND 254);
ALTER TABLE "invitations" ADD CONSTRAINT "invitations_one_outcome" CHECK ("accepted_at" IS NULL OR "revoked_at" IS NULL);
