import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { sql } from "@proofgrid/db/sql-client";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestChain, type TestChain } from "../support/chain.ts";
import { fundEarnings, newWallet } from "../support/payouts.ts";
import { type Stack, startStack } from "../support/stack.ts";
import { checkAtBothWidths, DESKTOP, launchChromium } from "./chromium.ts";
import { signUpWithOrganisation } from "./dashboard-user.ts";

// A provider takes its earnings out through the portal, in a real browser against a real
// local chain: it proves a payout address by signing the page's message with the wallet's
// key (as MetaMask's personal_sign would), withdraws 12.5 tokens, and watches the withdrawal
// go from queued to paid without reloading; the chain shows the transfer of what the page
// said would arrive. A bad signature and an amount over the balance change nothing.

const SCREENSHOTS = join(import.meta.dirname, "../../docs/screenshots");
const TOKEN = 1_000_000n;

let chain: TestChain;
let stack: Stack;
let browser: Browser;
let page: Page;
let orgId: string;
const wallet = newWallet();

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  chain = await startTestChain();
  [stack, browser] = await Promise.all([startStack({ env: { ...chain.env(), PAYOUT_CONFIRMATIONS: "1" } }), launchChromium()]);
  page = await (await browser.newContext({ viewport: DESKTOP })).newPage();
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await chain?.stop();
});

const withdrawable = async () => (await page.locator("[data-stat=withdrawable]").innerText()).trim();

describe("payouts in the provider portal", () => {
  it("proves a payout address by a wallet's signature; a wrong signature sets nothing", async () => {
    await signUpWithOrganisation(page, stack.url, { name: "Wen", email: "wen@example.com", org: "Wen GPUs", kind: /Provide GPUs/ });
    const rows = await sql().$queryRaw<{ id: string }[]>`SELECT id FROM organizations WHERE name = 'Wen GPUs'`;
    orgId = rows[0]?.id as string;
    await fundEarnings(orgId, 40n * TOKEN, "wen");

    await page.getByRole("link", { name: "Payouts" }).click();
    await page.waitForURL(`${stack.url}/dashboard/payouts`);
    await page.getByRole("heading", { level: 1, name: "Payouts" }).waitFor();
    expect(await withdrawable()).toBe("40 tokens");
    expect(await page.getByText("Prove a payout address above first.").count()).toBe(1);

    // Someone else's key signs: refused, nothing set.
    await page.getByLabel("Address to be paid").fill(wallet.address);
    await page.getByRole("button", { name: "Get the message to sign" }).click();
    const message = await page.getByLabel(/Message to sign for/).inputValue();
    expect(message).toContain(wallet.address);
    expect(message).toContain(orgId);
    const impostor = newWallet();
    await page.getByLabel("Signature").fill(await impostor.signMessage({ message }));
    await page.getByRole("button", { name: "Verify signature" }).click();
    await page
      .getByRole("alert")
      .filter({ hasText: /signature/i })
      .waitFor();
    expect(await sql().$queryRaw`SELECT 1 FROM payout_addresses WHERE org_id = ${orgId}::uuid`).toEqual([]);

    // The wallet's own signature of the message the page showed.
    await page.getByLabel("Signature").fill(await wallet.signMessage({ message }));
    await page.getByRole("button", { name: "Verify signature" }).click();
    await page.getByRole("status").filter({ hasText: "Payout address verified" }).waitFor();
    await page.locator("[data-payout-address]").filter({ hasText: wallet.address }).waitFor();
  });

  it("withdraws: an amount over the balance is refused; a good one shows its fee, is paid on chain, and the page follows it to Paid", async () => {
    await page.getByLabel("Tokens to withdraw").fill("400");
    await page.getByRole("button", { name: "Withdraw" }).click();
    await page
      .getByRole("alert")
      .filter({ hasText: /exceeds your available earnings/ })
      .waitFor();
    expect(await sql().$queryRaw`SELECT 1 FROM withdrawals WHERE org_id = ${orgId}::uuid`).toEqual([]);

    await page.getByLabel("Tokens to withdraw").fill("12.5");
    const hint = await page.locator("#withdraw-tokens-hint").innerText();
    const arrives = /Fee ([\d.]+); ([\d.]+) tokens arrive/.exec(hint);
    expect(arrives, hint).not.toBeNull();
    await page.getByRole("button", { name: "Withdraw" }).click();
    await page.getByRole("status").filter({ hasText: "Withdrawal requested" }).waitFor();
    // The page refreshes itself while the withdrawal is on its way.
    await page.locator("[data-withdrawal][data-state=paid]").waitFor({ timeout: 60_000 });
    const row = await sql().$queryRaw<
      { net: bigint; fee: bigint; state: string }[]
    >`SELECT net, fee, state FROM withdrawals WHERE org_id = ${orgId}::uuid`;
    expect(row).toHaveLength(1);
    expect(row[0]?.state).toBe("paid");
    const net = BigInt(row[0]?.net ?? 0);
    // What the page said would arrive is what the chain paid.
    expect(Number(arrives?.[2])).toBe(Number(net) / 1e6);
    expect(await chain.tokenBalance(wallet.address)).toBe(net);
    await page.reload();
    expect(await withdrawable()).toBe("27.5 tokens");
    await checkAtBothWidths(page, { dir: SCREENSHOTS, name: "payouts" });
  });
});
