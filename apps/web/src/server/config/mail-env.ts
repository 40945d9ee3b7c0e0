import { z } from "zod";

/** Outgoing mail (services/mail/outbox.ts). */
export const ZMailEnv = z.object({
  /** smtp://user:pass@host:587 or smtps://…; unset = log the messages instead of sending. */
  SMTP_URL: z.string().url().optional(),
  MAIL_FROM: z.string().min(3).max(200).default("Proofgrid <no-reply@proofgrid.local>"),
});
