import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { sql } from "@proofgrid/db/sql-client";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, type Stack, startStack } from "../support/stack.ts";
import { checkAtBothWidths, DESKTOP, launchChromium } from "./chromium.ts";
import { CONFIRMATION_LINK, outboxMailbox, PASSWORD, signUp as signUpConfirmed } from "./dashboard-user.ts";

// Accounts in a real browser: sign up, create an organisation, create an API key that is
// shown once and works over HTTP, sign out; a second user in another organisation sees
// nothing of the first, by page or by procedure.

const SCREENSHOTS = join(import.meta.dirname, "../../docs/screenshots");
const MODEL = "encoder-synthetic-minilm";
const JOB_TIMEOUT_MS = 60_000;

let stack: Stack;
let browser: Browser;
let alice: BrowserContext;
let page: Page;
let aliceOrgId: string;
let aliceKey: string;
let alicePrefix: string;

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  [stack, browser] = await Promise.all([startStack(), launchChromium()]);
  await stack.addWorker("accounts", { INTRA_OP_THREADS: "1" });
  alice = await browser.newContext({ viewport: DESKTOP });
  page = await alice.newPage();
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const screenshots = (p: Page, path: string, name: string) => checkAtBothWidths(p, { dir: SCREENSHOTS, name, url: `${stack.url}${path}` });

/** Signs up and confirms the address from the emailed link; ends on /onboarding. */
async function signUp(p: Page, name: string, email: string): Promise<void> {
  await signUpConfirmed(p, stack.url, { name, email });
  await p.waitForURL(`${stack.url}/onboarding`);
}

async function createOrganisation(p: Page, name: string): Promise<void> {
  await p.getByLabel("Organisation name").fill(name);
  await p.getByLabel("Run inference (customer)").check();
  await p.getByRole("button", { name: "Create organisation" }).click();
  await p.waitForURL(`${stack.url}/dashboard`);
  await p.getByRole("heading", { level: 1, name }).waitFor();
}

describe("accounts", () => {
  it("shows accessible sign-up and sign-in pages that fit a phone", async () => {
    const anon = await browser.newPage({ viewport: DESKTOP });
    await screenshots(anon, "/signup", "signup");
    await screenshots(anon, "/signin", "signin");
    // A wrong password is announced with what to do about it.
    await anon.getByLabel("Email").fill("nobody@example.com");
    await anon.getByLabel("Password").fill(PASSWORD);
    await anon.getByRole("button", { name: "Sign in" }).click();
    // (Next's route announcer is an empty role=alert of its own.)
    const alert = anon.locator("#auth-error[role=alert]");
    await alert.waitFor();
    expect(await alert.innerText()).toContain("The email or the password is wrong");
    // Focus moves to the message (after React commits it): keyboard and screen-reader users land on it.
    await anon.waitForFunction("document.activeElement?.id === 'auth-error'", null, { timeout: 5_000 });
    await anon.close();
  });

  it("signs a new user up, creates an organisation they own, and shows it on the dashboard", async () => {
    await page.goto(`${stack.url}/dashboard`);
    // Back to the dashboard after signing in (no session yet: no "expired" message).
    await page.waitForURL(`${stack.url}/signin?next=%2Fdashboard`);
    await signUp(page, "Alice", "alice@example.com");
    await createOrganisation(page, "Acme Vision");
    expect(await page.getByText("Customer organisation · you are its owner").count()).toBe(1);
    expect(await page.locator('[data-stat="available"]').innerText()).toBe("0 tokens");

    const rows = await sql().$queryRaw<{ id: string; role: string }[]>`
      SELECT o.id, m.role::text AS role FROM organizations o JOIN memberships m ON m.org_id = o.id
      JOIN users u ON u.id = m.user_id WHERE u.email = 'alice@example.com'`;
    expect(rows).toHaveLength(1);
    expect(rows[0]?.role).toBe("owner");
    aliceOrgId = rows[0]?.id ?? "";
    // Credits come from the platform (no purchase flow yet): the same service tests use.
    const { grantCredits } = await import("../../apps/web/src/server/services/billing/grant-credits.ts");
    await grantCredits({ orgId: aliceOrgId, amount: 1_000_000_000n, idempotencyKey: "funds:acme-vision", memo: "test credits" });
    await page.reload();
    expect(await page.locator('[data-stat="available"]').innerText()).toBe("1000 tokens");
  });

  it("creates an API key that is shown once, then only by its prefix, and that runs a job over HTTP", async () => {
    await page.goto(`${stack.url}/dashboard/keys`);
    expect(await page.getByText("No API keys yet.").count()).toBe(1);
    await page.getByLabel("Name").fill("ci");
    expect(await page.getByLabel("jobs:write").isChecked()).toBe(true);
    await page.getByRole("button", { name: "Create key" }).click();
    const secret = page.getByLabel("Your new API key");
    await secret.waitFor();
    expect(await page.getByText("you will not see this again").count()).toBe(1);
    aliceKey = await secret.inputValue();
    expect(aliceKey).toMatch(/^pg_[A-Za-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    alicePrefix = aliceKey.slice(0, 15);
    // Focus lands on the key, selected, ready to copy.
    await page.waitForFunction("document.activeElement?.id === 'new-key'", null, { timeout: 5_000 });
    await page.locator(`tr[data-key-prefix="${alicePrefix}"]`).waitFor();

    await page.reload();
    await page.getByRole("heading", { level: 1, name: "API keys" }).waitFor();
    expect(await page.getByLabel("Your new API key").count()).toBe(0);
    expect(await page.content()).not.toContain(aliceKey.slice(16));
    const row = page.locator(`tr[data-key-prefix="${alicePrefix}"]`);
    expect(await row.innerText()).toContain(`${alicePrefix}_…`);
    expect(await row.locator('[data-label="Last used"]').innerText()).toBe("never");

    const submitted = await api<{ id: string }>(stack, "/api/v1/jobs", {
      key: aliceKey,
      body: { model: MODEL, input: { text: "hello from the dashboard" } },
    });
    expect(submitted.status, JSON.stringify(submitted.body)).toBeLessThan(300);
    const done = await api<{ state: string; orgId?: string }>(stack, `/api/v1/jobs/${submitted.body.id}?wait=${JOB_TIMEOUT_MS}`, {
      key: aliceKey,
    });
    expect(done.status).toBe(200);
    expect(done.body.state).toBe("succeeded");
    // The demo key of another organisation cannot see it.
    expect((await api(stack, `/api/v1/jobs/${submitted.body.id}`)).status).toBe(404);

    await page.reload();
    expect(await page.locator(`tr[data-key-prefix="${alicePrefix}"] [data-label="Last used"]`).innerText()).toMatch(/UTC$/);
  });

  it("revokes a key after a confirmation; the API refuses it from then on", async () => {
    await page.getByLabel("Name").fill("temporary");
    await page.getByRole("button", { name: "Create key" }).click();
    const temp = await page.getByLabel("Your new API key").inputValue();
    const tempRow = page.locator(`tr[data-key-prefix="${temp.slice(0, 15)}"]`);
    await tempRow.getByRole("button", { name: "Revoke key temporary" }).click();
    const confirm = tempRow.getByRole("button", { name: "Yes, revoke" });
    await confirm.waitFor();
    await page.waitForFunction("document.activeElement?.textContent === 'Yes, revoke'", null, { timeout: 5_000 });
    await confirm.click();
    await tempRow.getByText(/^Revoked/).waitFor();
    // The button is gone with the revocation: focus goes to the keys' heading, not the page's body.
    await page.waitForFunction("document.activeElement?.id === 'keys-heading'", null, { timeout: 5_000 });
    expect((await api(stack, "/api/v1/jobs", { key: temp })).status).toBe(401);
    expect((await api(stack, "/api/v1/jobs", { key: aliceKey })).status).toBe(200);
  });

  it("has no serious accessibility violation on the dashboard and the keys page, at desktop and phone width", async () => {
    await screenshots(page, "/dashboard", "dashboard");
    await screenshots(page, "/dashboard/keys", "dashboard-keys");
  });

  it("signs out: the dashboard then sends the browser to sign in", async () => {
    await page.goto(`${stack.url}/dashboard`);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(`${stack.url}/signin`);
    await page.goto(`${stack.url}/dashboard/keys`);
    await page.waitForURL(`${stack.url}/signin?next=%2Fdashboard%2Fkeys`);
    expect(await page.content()).not.toContain(alicePrefix);
    // And back in with the password.
    await page.getByLabel("Email").fill("alice@example.com");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    // Where the browser was going when it was sent to sign in.
    await page.waitForURL(`${stack.url}/dashboard/keys`);
    await page.getByRole("heading", { level: 1, name: "API keys" }).waitFor();
  });

  it("a sign-up with an address that has an account looks like any other; its owner is emailed instead", async () => {
    const ctx = await browser.newContext({ viewport: DESKTOP });
    const p = await ctx.newPage();
    const seen: string[] = [];
    for (const email of ["zoe@example.com", "alice@example.com"]) {
      await p.goto(`${stack.url}/signup`);
      await p.getByLabel("Your name").fill("Zoe");
      await p.getByLabel("Email").fill(email);
      await p.getByLabel("Password").fill("somebody else's passphrase");
      await p.getByRole("button", { name: "Create account" }).click();
      // Focus lands on the heading, for keyboard and screen-reader users.
      await p.waitForFunction("document.activeElement?.id === 'check-email'", null, { timeout: 5_000 });
      seen.push((await p.getByTestId("check-email").innerText()).replace(email, "<address>"));
    }
    expect(seen[1]).toBe(seen[0]);
    // Without a mail server the page says where the message went.
    expect(seen[0]).toContain("npm start");
    expect((await ctx.cookies(stack.url)).some((c) => c.name.includes("session_token"))).toBe(false);
    // Alice hears of it (no link that signs anyone in); her password is unchanged.
    const [note] = await sql().$queryRaw<{ kind: string; body_text: string }[]>`
      SELECT kind, body_text FROM outbound_emails WHERE to_address = 'alice@example.com' ORDER BY created_at DESC LIMIT 1`;
    expect(note?.kind).toBe("account_exists");
    expect(CONFIRMATION_LINK.test(note?.body_text ?? "")).toBe(false);
    // Zoe's account is not confirmed yet: her password alone asks for the link, and sends a new one.
    const link = await outboxMailbox.linkAfter("zoe@example.com", CONFIRMATION_LINK, async () => {
      await p.goto(`${stack.url}/signin`);
      await p.getByLabel("Email").fill("zoe@example.com");
      await p.getByLabel("Password").fill("somebody else's passphrase");
      await p.getByRole("button", { name: "Sign in" }).click();
      await p.locator("#auth-error[role=alert]").getByText("Confirm your email first").waitFor();
    });
    await p.goto(link);
    await p.waitForURL(`${stack.url}/onboarding`);
    await ctx.close();
  });

  it("shows a member of another organisation nothing of Acme Vision, by page or by procedure", async () => {
    const bob = await browser.newContext({ viewport: DESKTOP });
    const p = await bob.newPage();
    await signUp(p, "Bob", "bob@example.com");
    await createOrganisation(p, "Bob Labs");

    const byPage = await p.goto(`${stack.url}/dashboard/keys?org=${aliceOrgId}`);
    expect(byPage?.status()).toBe(404);
    const html404 = await p.content();
    for (const other of ["Acme Vision", alicePrefix, "alice@example.com"]) expect(html404).not.toContain(other);
    expect((await p.goto(`${stack.url}/dashboard?org=${aliceOrgId}`))?.status()).toBe(404);
    await p.goto(`${stack.url}/dashboard/keys`);
    expect(await p.getByText("No API keys yet.").count()).toBe(1);
    expect(await p.content()).not.toContain(alicePrefix);

    const aliceKeyId = (await sql().$queryRaw<{ id: string }[]>`SELECT id FROM api_keys WHERE prefix = ${alicePrefix}`)[0]?.id;
    const trpc = (path: string, input: unknown) =>
      p.request.post(`${stack.url}/api/trpc/${path}`, { data: { json: input }, headers: { "content-type": "application/json" } });
    expect((await trpc("account.setActiveOrganization", { orgId: aliceOrgId })).status()).toBe(404);
    expect((await trpc("keys.revoke", { id: aliceKeyId })).status()).toBe(404);
    const list = await p.request.get(`${stack.url}/api/trpc/keys.list`);
    expect(list.status()).toBe(200);
    expect(await list.text()).not.toContain(alicePrefix);
    const me = await p.request.get(`${stack.url}/api/trpc/account.me`);
    expect(await me.text()).toContain("Bob Labs");
    // Alice's key is still live: Bob's attempts changed nothing.
    expect((await api(stack, "/api/v1/jobs", { key: aliceKey })).status).toBe(200);
    await bob.close();
  });
});
