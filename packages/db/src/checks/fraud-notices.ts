import type { Db } from "../db-types.ts";

/** The owners of a customer organisation a fraud notice is emailed to (at most 20), with the organisation's name. */
export async function loadOrgOwnerEmails(db: Db, opts: { orgId: string }): Promise<{ email: string; name: string }[]> {
  return db.$queryRaw<{ email: string; name: string }[]>`
    SELECT u.email, o.name FROM memberships m JOIN users u ON u.id = m.user_id JOIN organizations o ON o.id = m.org_id
    WHERE m.org_id = ${opts.orgId}::uuid AND m.role = 'owner' ORDER BY u.email LIMIT 20`;
}

export interface InsertFraudNoticeEmailOptions {
  toAddress: string;
  subject: string;
  bodyText: string;
}

/** Puts a fraud notice in the outbox (mail/outbox.ts delivers it); it commits with the caller's transaction. */
export async function insertFraudNoticeEmail(db: Db, opts: InsertFraudNoticeEmailOptions): Promise<void> {
  await db.$executeRaw`
    INSERT INTO outbound_emails (id, to_address, subject, body_text, kind)
    VALUES (gen_random_uuid(), ${opts.toAddress}, ${opts.subject}, ${opts.bodyText}, 'fraud_notice')`;
}
