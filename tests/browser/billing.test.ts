import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { sql } from "@proofgrid/db/sql-client";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support/stack.ts";
import { type LocalStripe, startLocalStripe } from "../support/stripe-server.ts";
import { checkAtBothWidths, DESKTOP, launchChromium } from "./chromium.ts";
import { signUpWithOrganisation } from "./dashboard-user.ts";

// A startup buys credits by card in a real browser, on the real stack (production build,
// Postgres, coordinator). The web app talks to the local Stripe stand-in with the real SDK
// (STRIPE_API_BASE); the stand-in serves the Checkout page at the session's url, and its
// "Pay" sends the signed webhooks to the app's /api/stripe/webhook and redirects to the
// success page. The buyer sees the tokens on the success page and the purchase with its
// receipt in the billing history; axe finds nothing serious at either width.

const SCREENSHOTS = join(import.meta.dirname, "../../docs/screenshots");

let stack: Stack;
let stripe: LocalStripe;
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  stripe = await startLocalStripe();
  [stack, browser] = await Promise.all([
    startStack({ env: { ...stripe.env, TOKEN_PRICE_CENTS: "1", BILLING_CURRENCY: "usd", CREDIT_PACKS: "1000,5000,20000" } }),
    launchChromium(),
  ]);
  stripe.setWebhookUrl(`${stack.url}/api/stripe/webhook`);
  context = await browser.newContext({ viewport: DESKTOP });
  page = await context.newPage();
}, 240_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await stripe?.close();
});

describe("buying credits by card", () => {
  it("a startup buys 1,000 tokens through the billing page and Stripe Checkout, and sees the balance and the receipt", async () => {
    await signUpWithOrganisation(page, stack.url, { name: "Nadia", email: "nadia@startup.example", org: "Nadia Vision" });
    await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "Billing" }).click();
    await page.waitForURL(`${stack.url}/dashboard/billing`);
    await expect(page.locator('[data-stat="available"]').textContent()).resolves.toContain("0 tokens · $0.00");
    await checkAtBothWidths(page, {
      dir: SCREENSHOTS,
      name: "billing-empty",
      ready: (p) => p.getByRole("button", { name: "Pay with card" }).waitFor(),
    });

    // A custom amount shows its price before paying; then the first pack is bought.
    await page.getByLabel("Another amount").check();
    await page.getByLabel("Tokens", { exact: true }).fill("2500");
    await expect(page.getByText("2,500 tokens cost $25.00.").count()).resolves.toBe(1);
    await page.getByLabel("1,000 tokens · $10.00").check();
    await page.getByRole("button", { name: "Pay with card" }).click();

    // Stripe Checkout (the local stand-in) shows the amount; "Pay" sends the signed webhooks.
    await page.waitForURL(new RegExp(`^${stripe.url}/pay/cs_test_`));
    await expect(page.locator("[data-amount]").textContent()).resolves.toBe("$10.00");
    await page.getByRole("button", { name: "Pay" }).click();

    await page.waitForURL(new RegExp(`^${stack.url}/dashboard/billing/success\\?session_id=cs_test_`));
    await page.getByRole("heading", { level: 1, name: "Payment received" }).waitFor();
    await expect(page.getByText("1,000 tokens were added to Nadia Vision.").count()).resolves.toBe(1);
    await expect(page.locator('[data-stat="available"]').textContent()).resolves.toContain("1,000 tokens · $10.00");
    const receipt = await page.getByRole("link", { name: "View the receipt" }).getAttribute("href");
    expect(receipt).toMatch(new RegExp(`^${stripe.url}/receipts/ch_test_`));
    await checkAtBothWidths(page, { dir: SCREENSHOTS, name: "billing-success" });

    // The webhooks credited once (three events, one credit), whatever the success page did.
    expect(stripe.deliveries.map((d) => [d.type, d.status])).toEqual([
      ["charge.succeeded", 200],
      ["payment_intent.succeeded", 200],
      ["checkout.session.completed", 200],
    ]);
    const credits = await sql().$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM ledger_transfers WHERE kind = 'card_purchase'`;
    expect(credits[0]?.n).toBe(1);

    // The billing history: the purchase, paid, with its receipt.
    await page.getByRole("link", { name: "Back to billing" }).click();
    await page.waitForURL(/\/dashboard\/billing\?org=/);
    const row = page.locator('tr[data-history-kind="purchase"]');
    await expect(row.count()).resolves.toBe(1);
    await expect(row.textContent()).resolves.toMatch(/Card purchase.*\+1,000.*\$10\.00.*Paid.*Receipt/);
    const historyReceipt = await row.getByRole("link", { name: /Receipt/ }).getAttribute("href");
    expect(historyReceipt).toBe(receipt);
    await expect(page.locator('[data-stat="available"]').textContent()).resolves.toContain("1,000 tokens · $10.00");
    await checkAtBothWidths(page, {
      dir: SCREENSHOTS,
      name: "billing",
      ready: (p) => p.locator('tr[data-history-kind="purchase"]').waitFor(),
    });

    // The receipt is Stripe's page for this charge.
    const receiptPage = await context.newPage();
    await receiptPage.goto(receipt as string);
    await expect(receiptPage.locator("[data-receipt-amount]").textContent()).resolves.toBe("$10.00");
    await receiptPage.close();
  });

  it("a replayed payment webhook after the purchase changes nothing", async () => {
    const before = await sql().$queryRaw<
      { balance: string }[]
    >`SELECT balance::text FROM ledger_accounts WHERE kind = 'org_available' AND balance > 0`;
    const session = [...stripe.sessions.values()][0] as { id: string; payment_intent: string };
    const pi = stripe.paymentIntents.get(session.payment_intent);
    const replay = await stripe.deliver(stripe.event("payment_intent.succeeded", pi as Record<string, unknown>));
    expect(replay.status).toBe(200);
    expect(JSON.parse(replay.body)).toMatchObject({ status: "processed", note: "already credited" });
    const after = await sql().$queryRaw<
      { balance: string }[]
    >`SELECT balance::text FROM ledger_accounts WHERE kind = 'org_available' AND balance > 0`;
    expect(after).toEqual(before);
  });
});
