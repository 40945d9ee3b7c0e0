import type { Db } from "../db-types.ts";

export interface InsertBillingAlertOptions {
  orgId: string;
  kind: string;
  periodKey: string;
  /** What happened, for the message: amounts as decimal strings. */
  data: Record<string, string | number | boolean | null>;
}

/**
 * Records the alert unless one of this kind and period exists (unique per organisation, kind
 * and period). Returns its id, or null when it was there already.
 */
export async function insertBillingAlert(db: Db, opts: InsertBillingAlertOptions): Promise<string | null> {
  const rows = await db.$queryRaw<{ id: string }[]>`
    INSERT INTO billing_alerts (id, org_id, kind, period_key, data)
    VALUES (gen_random_uuid(), ${opts.orgId}::uuid, ${opts.kind}, ${opts.periodKey}, ${JSON.stringify(opts.data)}::jsonb)
    ON CONFLICT (org_id, kind, period_key) DO NOTHING RETURNING id`;
  return rows[0]?.id ?? null;
}

/**
 * Queues one email to each of the organisation's owners (the first `maxRecipients` to join)
 * in the outbox the coordinator delivers: subject cut to 300 characters, body to 20 000.
 */
export async function queueOwnerAlertEmails(
  db: Db,
  opts: { orgId: string; subject: string; body: string; maxRecipients: number },
): Promise<void> {
  await db.$executeRaw`
    INSERT INTO outbound_emails (id, to_address, subject, body_text, kind)
    SELECT gen_random_uuid(), u.email, ${opts.subject.slice(0, 300)}, ${opts.body.slice(0, 20_000)}, 'billing_alert'
    FROM memberships m JOIN users u ON u.id = m.user_id
    WHERE m.org_id = ${opts.orgId}::uuid AND m.role = 'owner'
    ORDER BY m.created_at LIMIT ${opts.maxRecipients}`;
}
