import type { Db } from "../db-types.ts";

/** Queues a message (stored as given: the outbox's enqueueEmail bounds it). In the caller's
 * transaction it exists only if its cause does. Returns its id. */
export async function insertOutboundEmail(db: Db, opts: { to: string; subject: string; bodyText: string; kind: string }): Promise<string> {
  const rows = await db.$queryRaw<{ id: string }[]>`
    INSERT INTO outbound_emails (id, to_address, subject, body_text, kind)
    VALUES (gen_random_uuid(), ${opts.to}, ${opts.subject}, ${opts.bodyText}, ${opts.kind})
    RETURNING id`;
  const id = rows[0]?.id;
  if (!id) throw new Error("insertOutboundEmail: INSERT … RETURNING returned no row");
  return id;
}

/** A message claimed for delivery. `attempts` already counts this one. */
export interface ClaimedEmailRow {
  id: string;
  to_address: string;
  subject: string;
  body_text: string;
  kind: string;
  attempts: number;
}

export interface ClaimNextEmailOptions {
  /** How long the claim keeps other deliverers off the message. */
  claimS: number;
  /** Messages tried this many times are left unsent. */
  maxAttempts: number;
}

/**
 * Claims the oldest message due, in one statement (FOR UPDATE SKIP LOCKED): its next
 * attempt moves `claimS` ahead, so no other coordinator takes it meanwhile, and its
 * attempts count goes up. Undefined when nothing is due.
 */
export async function claimNextEmail(db: Db, opts: ClaimNextEmailOptions): Promise<ClaimedEmailRow | undefined> {
  const rows = await db.$queryRaw<ClaimedEmailRow[]>`
    UPDATE outbound_emails SET next_attempt_at = now() + make_interval(secs => ${opts.claimS}), attempts = attempts + 1
    WHERE id = (
      SELECT id FROM outbound_emails
      WHERE sent_at IS NULL AND next_attempt_at <= now() AND attempts < ${opts.maxAttempts}
      ORDER BY next_attempt_at, created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING id, to_address, subject, body_text, kind, attempts`;
  return rows[0];
}

/** Marks a message sent, by `transport` ("smtp" or "log"). */
export async function markEmailSent(db: Db, opts: { id: string; transport: string }): Promise<void> {
  await db.$executeRaw`
    UPDATE outbound_emails SET sent_at = now(), transport = ${opts.transport}, last_error = NULL WHERE id = ${opts.id}::uuid`;
}

/** Records why a message was refused and when to try it again. */
export async function scheduleEmailRetry(db: Db, opts: { id: string; error: string; retryInS: number }): Promise<void> {
  await db.$executeRaw`
    UPDATE outbound_emails SET last_error = ${opts.error}, next_attempt_at = now() + make_interval(secs => ${opts.retryInS})
    WHERE id = ${opts.id}::uuid`;
}

/** Blanks the body (which holds live links) of messages sent more than `keepBodyMs` ago. */
export async function blankSentEmailBodies(db: Db, opts: { keepBodyMs: number }): Promise<void> {
  await db.$executeRaw`
    UPDATE outbound_emails SET body_text = '' WHERE sent_at < now() - make_interval(secs => ${opts.keepBodyMs / 1000}) AND body_text <> ''`;
}

export interface OutboundEmailRow {
  id: string;
  subject: string;
  body_text: string;
  kind: string;
  created_at: Date;
  sent_at: Date | null;
  transport: string | null;
}

/** Messages to an address (as stored: lower case), newest first. */
export async function listEmailsTo(db: Db, opts: { address: string; limit: number }): Promise<OutboundEmailRow[]> {
  return db.$queryRaw<OutboundEmailRow[]>`
    SELECT id, subject, body_text, kind, created_at, sent_at, transport FROM outbound_emails
    WHERE to_address = ${opts.address} ORDER BY created_at DESC LIMIT ${opts.limit}`;
}
