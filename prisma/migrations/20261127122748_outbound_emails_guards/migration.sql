-- Hand-written: the mail loop reads only unsent messages that are due.
CREATE INDEX "outbound_emails_unsent_due_idx" ON "outbound_emails" ("next_attempt_at") WHERE "sent_at" IS NULL;
-- ... and blanks the bodies of sent messages after an hour: only those not yet blanked.
CREATE INDEX "outbound_emails_unredacted_idx" ON "outbound_emails" ("sent_at") WHERE "body_text" <> '';
