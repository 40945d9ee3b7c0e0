import { sql } from "@proofgrid/db/sql-client";
import type { Page } from "playwright-core";
import type { NpmStart } from "./npm-start.ts";

// A signed-up dashboard user, for browser tests that need one (accounts.test.ts tests the
// sign-up form itself), and the mailbox a test reads the emailed links from.

export const PASSWORD = "correct horse battery staple";

/** The link a sign-up emails: it confirms the address and signs the person in. */
export const CONFIRMATION_LINK = /https?:\/\/[^\s"\\]+\/api\/auth\/verify-email\?[^\s"\\]+/;

/** Where a test reads what a person would open in their email. */
export interface Mailbox {
  /** Runs `send`, then waits for a message to `to`, sent after `send` began, holding a match of `link`; returns that match. */
  linkAfter(to: string, link: RegExp, send: () => Promise<void>): Promise<string>;
}

/** The platform's outbox, in the database of this process's DATABASE_URL (startStack sets it to the stack's). */
export const outboxMailbox: Mailbox = {
  async linkAfter(to, link, send) {
    const count = async () =>
      Number(
        (await sql().$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM outbound_emails WHERE to_address = ${to.toLowerCase()}`)[0]?.n ??
          0,
      );
    const before = await count();
    await send();
    for (let i = 0; i < 150; i++) {
      const rows = await sql().$queryRaw<{ body_text: string }[]>`
        SELECT body_text FROM outbound_emails WHERE to_address = ${to.toLowerCase()}
        ORDER BY created_at DESC LIMIT GREATEST(0, (SELECT count(*) FROM outbound_emails WHERE to_address = ${to.toLowerCase()}) - ${before})`;
      for (const r of rows) {
        const m = link.exec(r.body_text);
        if (m) return m[0];
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`no email to ${to} with a link like ${link}`);
  },
};

/**
 * The terminal that runs `npm start` (no SMTP_URL: the coordinator writes each email to its
 * log), read as a person reads it.
 */
export function terminalMailbox(npm: Pick<NpmStart, "output" | "waitForOutput"> | undefined): Mailbox {
  if (!npm) throw new Error("npm start is not running");
  return {
    async linkAfter(to, link, send) {
      const from = npm.output.length;
      await send();
      const line = await npm.waitForOutput(new RegExp(`${to.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}.*${link.source}`), {
        from,
        timeoutMs: 30_000,
      });
      return link.exec(line[0])?.[0] ?? "";
    },
  };
}

/**
 * Signs up through the sign-up page, then opens the confirmation link from the mailbox as the
 * person would; ends signed in on the page the link goes on to (/onboarding, or `next`).
 */
export async function signUp(
  p: Page,
  baseUrl: string,
  who: { name: string; email: string; password?: string },
  mailbox: Mailbox = outboxMailbox,
): Promise<void> {
  if (!p.url().startsWith(`${baseUrl}/signup`)) await p.goto(`${baseUrl}/signup`);
  await p.getByLabel("Your name").fill(who.name);
  await p.getByLabel("Email").fill(who.email);
  await p.getByLabel("Password").fill(who.password ?? PASSWORD);
  const link = await mailbox.linkAfter(who.email, CONFIRMATION_LINK, async () => {
    await p.getByRole("button", { name: "Create account" }).click();
    await p.getByRole("heading", { name: "Check your email" }).waitFor();
  });
  await p.goto(link);
}

/** Signs up (confirming the address) and creates an organisation of the given kind; ends on /dashboard. */
export async function signUpWithOrganisation(
  p: Page,
  baseUrl: string,
  who: { name: string; email: string; org: string; kind?: RegExp | string },
  mailbox: Mailbox = outboxMailbox,
): Promise<void> {
  await signUp(p, baseUrl, who, mailbox);
  await p.waitForURL(`${baseUrl}/onboarding`);
  await p.getByLabel("Organisation name").fill(who.org);
  await p.getByLabel(who.kind ?? "Run inference (customer)").check();
  await p.getByRole("button", { name: "Create organisation" }).click();
  await p.waitForURL(`${baseUrl}/dashboard`);
  await p.getByRole("heading", { level: 1, name: who.org }).waitFor();
}
