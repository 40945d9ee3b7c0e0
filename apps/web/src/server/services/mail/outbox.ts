import type { Db } from "@proofgrid/db/db-types";
import {
  blankSentEmailBodies,
  claimNextEmail,
  insertOutboundEmail,
  listEmailsTo,
  markEmailSent,
  scheduleEmailRetry,
} from "@proofgrid/db/mail/outbound-emails";
import { sql } from "@proofgrid/db/sql-client";
import nodemailer, { type Transporter } from "nodemailer";
import { getEnv } from "../../env.ts";
import { logger } from "../../logger.ts";

// The platform's email: an outbox table written by whoever needs a message sent, and one
// delivery loop on the coordinator. With SMTP_URL set it sends over SMTP (nodemailer);
// without it (a laptop, CI) it writes the message to the server log, which is where a
// developer running `npm start` reads their reset link. Either way a crash between send and
// mark can repeat at most the one message in flight, and never loses one.

/**
 * A refused message is tried again after 2^attempts seconds (capped at an hour), up to this
 * many attempts (about 14 hours of an unreachable server), then it stays unsent with its
 * last error. Others behind it keep going out.
 */
const MAX_ATTEMPTS = 16;
const MAX_BACKOFF_S = 3_600;
const BATCH = 20;
/** A claimed message is not taken again for this long: longer than any SMTP exchange (transport() bounds it to about 2 min). */
const CLAIM_S = 300;
/** Sent messages keep their subject and recipient; their body (which holds live links) is
 * blanked this long after sending. */
const KEEP_BODY_MS = 3_600_000;
/** A queued subject and body are cut to this many characters. */
const MAX_SUBJECT_CHARS = 300;
const MAX_BODY_CHARS = 20_000;

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  kind: "password_reset" | "invitation" | "email_verification" | "account_exists";
}

/** Queues a message; pass the caller's transaction (any `Db`: sqlTransaction's, Prisma's) so
 * the message exists only if its cause does. Returns its id. */
export async function enqueueEmail(message: EmailMessage, tx: Db = sql()): Promise<string> {
  return insertOutboundEmail(tx, {
    to: message.to,
    subject: message.subject.slice(0, MAX_SUBJECT_CHARS),
    bodyText: message.text.slice(0, MAX_BODY_CHARS),
    kind: message.kind,
  });
}

/** True when this installation writes emails to the server log instead of sending them (no SMTP_URL). */
export function emailGoesToLog(): boolean {
  return !getEnv().SMTP_URL;
}

let mailer: { from: string; smtp: Transporter | null } | undefined;

/** The sender and the SMTP transport (null: log instead), read from the environment once. */
function transport(): { from: string; smtp: Transporter | null } {
  if (!mailer) {
    const env = getEnv();
    // Timeouts well inside CLAIM_S (nodemailer's own wait up to 10 min on a silent socket).
    const smtp = env.SMTP_URL
      ? nodemailer.createTransport({ url: env.SMTP_URL, connectionTimeout: 30_000, greetingTimeout: 30_000, socketTimeout: 60_000 })
      : null;
    mailer = { from: env.MAIL_FROM, smtp };
  }
  return mailer;
}

/**
 * Sends what is waiting, oldest first. Each message is claimed in one statement (FOR UPDATE
 * SKIP LOCKED; the claim moves its next attempt CLAIM_S ahead, so no other coordinator takes
 * it meanwhile), sent with no transaction open, then marked. A transaction may be run again
 * on a deadlock and must touch only the database, so SMTP stays outside. A crash between
 * send and mark sends that one message again once its claim runs out, and loses none.
 * Returns how many were sent.
 */
export async function deliverOutbox(): Promise<number> {
  const { from, smtp } = transport();
  let sent = 0;
  for (let i = 0; i < BATCH; i++) {
    const m = await claimNextEmail(sql(), { claimS: CLAIM_S, maxAttempts: MAX_ATTEMPTS });
    if (!m) break;
    try {
      if (smtp) {
        await smtp.sendMail({ from, to: m.to_address, subject: m.subject, text: m.body_text });
      } else {
        logger.info({ to: m.to_address, subject: m.subject, kind: m.kind, text: m.body_text }, "email (no SMTP_URL set: logged, not sent)");
      }
      await markEmailSent(sql(), { id: m.id, transport: smtp ? "smtp" : "log" });
      sent++;
    } catch (err) {
      // attempts already counts this one: the first failure waits 1 s, the next 2 s, 4 s …
      const wait = Math.min(MAX_BACKOFF_S, 2 ** (m.attempts - 1));
      logger.warn({ err: String(err), to: m.to_address, attempt: m.attempts, retryInS: wait }, "email not sent; will retry");
      await scheduleEmailRetry(sql(), { id: m.id, error: String(err).slice(0, 500), retryInS: wait });
    }
  }
  // Links in sent messages stop living in the database an hour after they went out.
  await blankSentEmailBodies(sql(), { keepBodyMs: KEEP_BODY_MS });
  return sent;
}

/** Messages to an address, newest first (tests, and an administrator answering "I got no email"). */
export async function emailsTo(address: string, limit = 20) {
  return listEmailsTo(sql(), { address: address.toLowerCase(), limit: Math.min(Math.max(1, limit), 100) });
}
