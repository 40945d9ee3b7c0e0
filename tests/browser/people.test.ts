import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { sql } from "@proofgrid/db/sql-client";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support/stack.ts";
import { checkAtBothWidths, DESKTOP, launchChromium } from "./chromium.ts";
import { PASSWORD, signUp, signUpWithOrganisation } from "./dashboard-user.ts";

// People in a real browser: an owner invites a colleague, who signs up from the emailed
// link and joins as a member (and cannot invite); someone who forgot their password gets a
// link by email and sets a new one; a platform administrator grants credits from /admin,
// which is a 404 for everyone else. Emails are read from the outbox the platform delivers.

const SCREENSHOTS = join(import.meta.dirname, "../../docs/screenshots");

let stack: Stack;
let browser: Browser;
let owner: Page;
let inviteUrl: string;

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  [stack, browser] = await Promise.all([startStack(), launchChromium()]);
  owner = await (await browser.newContext({ viewport: DESKTOP })).newPage();
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** The newest email to an address, as the outbox holds it. */
async function lastEmail(to: string): Promise<{ subject: string; body_text: string }> {
  for (let i = 0; i < 50; i++) {
    const rows = await sql().$queryRaw<{ subject: string; body_text: string }[]>`
      SELECT subject, body_text FROM outbound_emails WHERE to_address = ${to} ORDER BY created_at DESC LIMIT 1`;
    if (rows[0]) return rows[0];
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no email to ${to}`);
}

describe("members, invitations, password reset and platform administration", () => {
  it("an owner invites a colleague by email; the link is shown once and emailed", async () => {
    await signUpWithOrganisation(owner, stack.url, { name: "Olga", email: "olga@example.com", org: "Olga Robotics" });
    await owner.getByRole("link", { name: "Members", exact: true }).click();
    await owner.waitForURL(`${stack.url}/dashboard/members`);
    expect(await owner.locator('tr[data-member="olga@example.com"]').innerText()).toContain("owner");
    await owner.getByLabel("Email", { exact: true }).fill("dana@example.com");
    await owner.getByRole("button", { name: "Invite" }).click();
    const link = owner.getByLabel("Invitation link");
    await link.waitFor();
    inviteUrl = await link.inputValue();
    expect(inviteUrl).toMatch(new RegExp(`^${stack.url}/invite/pgi_[A-Za-z0-9_-]{32}$`));
    await owner.locator('tr[data-invitation="dana@example.com"]').waitFor();
    const mail = await lastEmail("dana@example.com");
    expect(mail.subject).toBe("Olga invited you to Olga Robotics on Proofgrid");
    expect(mail.body_text).toContain(inviteUrl);
    // A refused invitation says why and keeps what was typed.
    await owner.getByLabel("Email", { exact: true }).fill("olga@example.com");
    await owner.getByRole("button", { name: "Invite" }).click();
    await owner.getByText("olga@example.com is already a member of this organisation").waitFor();
    expect(await owner.getByLabel("Email", { exact: true }).inputValue()).toBe("olga@example.com");
    await checkAtBothWidths(owner, { dir: SCREENSHOTS, name: "members", url: `${stack.url}/dashboard/members` });
    // A fresh page never shows the link again.
    expect(await owner.content()).not.toContain(inviteUrl.split("/").at(-1) ?? "-");
  });

  it("the colleague signs up from the link, joins as a member, and cannot invite", async () => {
    const dana = await (await browser.newContext({ viewport: DESKTOP })).newPage();
    await dana.goto(inviteUrl);
    await dana.getByText("You are invited to join Olga Robotics as a member.").waitFor();
    await checkAtBothWidths(dana, { dir: SCREENSHOTS, name: "invitation" });
    await dana.getByRole("link", { name: "Create an account" }).click();
    await dana.waitForURL(/\/signup\?next=/);
    // She confirms her address from the email, whose link leads back to the invitation.
    await signUp(dana, stack.url, { name: "Dana", email: "dana@example.com" });
    // Back on the invitation (not onboarding), now signed in with the invited address.
    await dana.waitForURL(inviteUrl);
    await dana.getByRole("button", { name: "Join Olga Robotics" }).click();
    await dana.waitForURL(`${stack.url}/dashboard`);
    await dana.getByRole("heading", { level: 1, name: "Olga Robotics" }).waitFor();
    expect(await dana.getByText("you are its member").count()).toBe(1);
    await dana.goto(`${stack.url}/dashboard/members`);
    expect(await dana.locator("tr[data-member]").count()).toBe(2);
    expect(await dana.getByRole("button", { name: "Invite" }).count()).toBe(0);
    expect(await dana.getByRole("button", { name: /^Remove / }).count()).toBe(0);
    // The link worked once.
    await dana.goto(inviteUrl);
    await dana.getByText("This invitation was already used.").waitFor();
    // The owner sees the new member, and the invitation is gone.
    await owner.goto(`${stack.url}/dashboard/members`);
    await owner.locator('tr[data-member="dana@example.com"]').waitFor();
    expect(await owner.locator("tr[data-invitation]").count()).toBe(0);
    await dana.context().close();
  });

  it("a page of another of the user's organisations (?org=) acts on that one, not on the active one", async () => {
    const robotics = (await sql().$queryRaw<{ id: string }[]>`SELECT id FROM organizations WHERE name = 'Olga Robotics'`)[0]?.id ?? "";
    // A second organisation becomes the active one.
    await owner.goto(`${stack.url}/onboarding`);
    await owner.getByLabel("Organisation name").fill("Olga Labs");
    await owner.getByLabel("Run inference (customer)").check();
    await owner.getByRole("button", { name: "Create organisation" }).click();
    await owner.waitForURL(`${stack.url}/dashboard`);
    await owner.getByRole("heading", { level: 1, name: "Olga Labs" }).waitFor();
    // Robotics' members page, opened by its id: the invitation goes to Robotics.
    await owner.goto(`${stack.url}/dashboard/members?org=${robotics}`);
    await owner.getByText("People of Olga Robotics.").waitFor();
    await owner.getByLabel("Email", { exact: true }).fill("zed@example.com");
    await owner.getByRole("button", { name: "Invite" }).click();
    await owner.getByLabel("Invitation link").waitFor();
    const rows = await sql().$queryRaw<{ name: string }[]>`
      SELECT o.name FROM invitations i JOIN organizations o ON o.id = i.org_id WHERE i.email = 'zed@example.com'`;
    expect(rows).toEqual([{ name: "Olga Robotics" }]);
  });

  it("a forgotten password: a link by email, a new password, and the old one no longer works", async () => {
    const p = await (await browser.newContext({ viewport: DESKTOP })).newPage();
    await p.goto(`${stack.url}/signin`);
    await p.getByRole("link", { name: "Forgot your password?" }).click();
    await p.getByLabel("Email").fill("olga@example.com");
    await p.getByRole("button", { name: "Email me a link" }).click();
    await p.getByText("If an account exists for olga@example.com").waitFor();
    const mail = await lastEmail("olga@example.com");
    const link = /http\S+\/reset-password\?token=[A-Za-z0-9_-]+/.exec(mail.body_text)?.[0] ?? "";
    expect(link.startsWith(`${stack.url}/reset-password?token=`), link).toBe(true);
    await p.goto(link);
    await p.getByLabel("New password").fill("olga's brand new passphrase");
    await p.getByLabel("The same again").fill("olga's brand new passphrase");
    await p.getByRole("button", { name: "Save the new password" }).click();
    await p.getByText("Your password is changed.").waitFor();
    // Old password refused, new one accepted.
    // As the sign-in page sends it: with its Origin (a fetch without one is refused, 403).
    const signIn = async (password: string) =>
      (
        await fetch(`${stack.url}/api/auth/sign-in/email`, {
          method: "POST",
          headers: { "content-type": "application/json", origin: stack.url },
          body: JSON.stringify({ email: "olga@example.com", password }),
        })
      ).status;
    expect(await signIn(PASSWORD)).toBe(401);
    expect(await signIn("olga's brand new passphrase")).toBe(200);
    // Her session from before the reset (the owner's tab) is signed out.
    await owner.goto(`${stack.url}/dashboard`);
    // Its cookie names a session that no longer exists: sign in again, and back here after.
    await owner.waitForURL(`${stack.url}/signin?next=%2Fdashboard&reason=expired`);
    // The same link again: expired or used.
    await p.goto(link);
    await p.getByLabel("New password").fill("yet another passphrase!");
    await p.getByLabel("The same again").fill("yet another passphrase!");
    await p.getByRole("button", { name: "Save the new password" }).click();
    await p.getByText("This link has expired or was already used.").waitFor();
    await p.context().close();
  });

  it("/admin is a 404 for everyone but platform administrators, who grant credits there once per form", async () => {
    const p = await (await browser.newContext({ viewport: DESKTOP })).newPage();
    await signUpWithOrganisation(p, stack.url, { name: "Ops", email: "ops@example.com", org: "Proofgrid Ops" });
    const before = await p.goto(`${stack.url}/admin`);
    expect(before?.status()).toBe(404);
    await sql().$executeRaw`UPDATE users SET is_admin = true WHERE email = 'ops@example.com'`;
    await p.goto(`${stack.url}/admin`);
    await p.getByRole("heading", { level: 1, name: "Platform administration" }).waitFor();
    expect(await p.locator('[data-stat="ledger"]').innerText()).toBe("balanced");
    await p.getByLabel("Organisation", { exact: true }).selectOption({ label: "Olga Robotics" });
    await p.getByLabel("Tokens").fill("250");
    await p.getByLabel("Why").fill("launch credits");
    const grant = p.getByRole("button", { name: "Grant", exact: true });
    const firstKey = await p.locator('input[name="idempotencyKey"]').inputValue();
    await grant.click();
    await p.getByText("Granted 250 tokens to Olga Robotics.").waitFor();
    // The same form sent again (a retry, a resubmit of the same grant): nothing more is granted.
    await p.getByLabel("Organisation", { exact: true }).selectOption({ label: "Olga Robotics" });
    await p.getByLabel("Tokens").fill("250");
    await p.getByLabel("Why").fill("launch credits");
    await grant.click();
    await p.getByText("Already granted: this form was submitted before, and nothing more was granted.").waitFor();
    // The answer lost and the page reloaded: the form comes back with the unconfirmed key.
    await p.evaluate(`sessionStorage.setItem("proofgrid:admin-grant-key", "${firstKey}")`);
    await p.reload();
    await expect.poll(() => p.locator('input[name="idempotencyKey"]').inputValue()).toBe(firstKey);
    await p.getByLabel("Organisation", { exact: true }).selectOption({ label: "Olga Robotics" });
    await p.getByLabel("Tokens").fill("250");
    await p.getByLabel("Why").fill("launch credits");
    await grant.click();
    await p.getByText("Already granted: this form was submitted before, and nothing more was granted.").waitFor();
    const olga = await sql().$queryRaw<{ balance: bigint }[]>`
      SELECT a.balance FROM ledger_accounts a JOIN organizations o ON a.code = 'org:' || o.id || ':available' WHERE o.name = 'Olga Robotics'`;
    expect(BigInt(olga[0]?.balance ?? 0)).toBe(250_000_000n);
    await checkAtBothWidths(p, { dir: SCREENSHOTS, name: "admin", url: `${stack.url}/admin` });
    await p.context().close();
  });
});
