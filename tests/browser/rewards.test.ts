import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { getBalances, orgAccountCode } from "@proofgrid/db/ledger";
import { sql } from "@proofgrid/db/sql-client";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support/stack.ts";
import { checkAtBothWidths, DESKTOP, launchChromium } from "./chromium.ts";
import { signUpWithOrganisation } from "./dashboard-user.ts";

// A provider's epoch rewards in a real browser (issue 13 item 3): the portal shows what has
// vested, what is still vesting and what was claimed, and a chart of them over time; a claim
// of what has vested moves exactly that to the earnings; an early claim first asks to
// confirm, showing the haircut, then pays the rest less it. The explorer charts emission
// per epoch.

const SCREENSHOTS = join(import.meta.dirname, "../../docs/screenshots");
const TOKEN = 1_000_000n;
const DAY = 86_400_000;

let stack: Stack;
let browser: Browser;
let page: Page;
let orgId: string;

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  [stack, browser] = await Promise.all([startStack({ env: { VESTING_DAYS: "180", EARLY_CLAIM_HAIRCUT: "0.5" } }), launchChromium()]);
  page = await (await browser.newContext({ viewport: DESKTOP })).newPage();
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const stat = async (name: string) => (await page.locator(`[data-stat=${name}]`).innerText()).trim();
const earnings = async () => (await getBalances(sql(), [orgAccountCode(orgId, "earnings")])).get(orgAccountCode(orgId, "earnings")) ?? 0n;

describe("rewards in the provider portal", () => {
  it("shows vested, vesting and claimed with a chart; claims what has vested", async () => {
    await signUpWithOrganisation(page, stack.url, { name: "Rae", email: "rae@example.com", org: "Rae GPUs", kind: /Provide GPUs/ });
    const rows = await sql().$queryRaw<{ id: string }[]>`SELECT id FROM organizations WHERE name = 'Rae GPUs'`;
    orgId = rows[0]?.id as string;
    // Two epochs' grants, as the coordinator makes them: one half vested, one just granted.
    const now = Date.now();
    await sql().$executeRaw`
      INSERT INTO reward_grants (id, epoch, org_id, role, amount, basis, vest_start, vest_end) VALUES
        (gen_random_uuid(), 1, ${orgId}::uuid, 'worker', ${200n * TOKEN}, 3000, ${new Date(now - 90 * DAY)}, ${new Date(now + 90 * DAY)}),
        (gen_random_uuid(), 2, ${orgId}::uuid, 'checker', ${100n * TOKEN}, 4, ${new Date(now)}, ${new Date(now + 180 * DAY)})`;

    await page.getByRole("link", { name: "Rewards" }).click();
    await page.waitForURL(`${stack.url}/dashboard/rewards`);
    await page.getByRole("heading", { level: 1, name: "Rewards" }).waitFor();
    expect(await stat("vested")).toMatch(/^100(\.\d+)? tokens$/);
    expect(await stat("claimed")).toBe("0 tokens");
    await page.locator("[data-chart=rewards] svg").first().waitFor();

    // More than has vested: refused, nothing moves.
    await page.getByLabel("Tokens to claim (optional)").fill("150");
    await page.getByRole("button", { name: "Claim vested rewards" }).click();
    await page
      .getByRole("alert")
      .filter({ hasText: /have vested and are unclaimed/ })
      .waitFor();
    expect(await earnings()).toBe(0n);

    await page.getByLabel("Tokens to claim (optional)").fill("60");
    await page.getByRole("button", { name: "Claim vested rewards" }).click();
    await page.getByRole("status").filter({ hasText: "Claimed: 60 tokens moved to your earnings" }).waitFor();
    expect(await earnings()).toBe(60n * TOKEN);
    await page.reload();
    expect(await stat("claimed")).toBe("60 tokens");
    await page.locator("[data-claim][data-kind=vested]").waitFor();
  });

  it("claims early only after confirming the haircut it shows, which goes back to the pool", async () => {
    await page.getByRole("button", { name: /Claim all now \(early\)/ }).click();
    const confirm = page.locator("[data-early-confirm]");
    await confirm.waitFor();
    const paid = Number((await confirm.locator("[data-early-paid]").innerText()).replace(" tokens", ""));
    const haircut = Number((await confirm.locator("[data-early-haircut]").innerText()).replace(" tokens", ""));
    // 240 left: ~40 vested in full, ~200 unvested at a 50 % haircut.
    expect(paid + haircut).toBeCloseTo(240, 3);
    expect(haircut).toBeGreaterThan(99);
    expect(haircut).toBeLessThan(101);
    await checkAtBothWidths(page, {
      dir: SCREENSHOTS,
      name: "rewards",
      ready: async (p) => {
        await p.locator("[data-chart=rewards] svg").first().waitFor();
      },
    });
    // Cancel changes nothing.
    await page.getByRole("button", { name: "Cancel" }).click();
    expect(await earnings()).toBe(60n * TOKEN);

    await page.getByRole("button", { name: /Claim all now \(early\)/ }).click();
    await page.getByRole("button", { name: /^Give up .* and claim / }).click();
    await page
      .getByRole("status")
      .filter({ hasText: /went back to the emission pool/ })
      .waitFor();
    const claim = await sql().$queryRaw<{ paid: string; haircut: string; gross: string }[]>`
      SELECT paid, haircut, gross FROM reward_claims WHERE org_id = ${orgId}::uuid AND kind = 'early'`;
    expect(claim).toHaveLength(1);
    expect(BigInt(claim[0]?.gross ?? 0)).toBe(240n * TOKEN);
    // The haircut only shrinks between the confirmation and the claim (more has vested).
    expect(Number(BigInt(claim[0]?.haircut ?? 0)) / 1e6).toBeLessThanOrEqual(haircut);
    expect(await earnings()).toBe(60n * TOKEN + BigInt(claim[0]?.paid ?? 0));
    await page.reload();
    expect(await stat("unvested")).toBe("0 tokens");
    expect(await stat("vested")).toBe("0 tokens");
  });

  it("the explorer charts emission per epoch", async () => {
    const epoch = Math.floor(Date.now() / 900_000) - 1_000;
    // One statement: the coordinator's catch-up loop must not grant this epoch in between.
    await sql().$executeRaw`
      WITH e AS (INSERT INTO epochs (id, starts_at, ends_at) VALUES (${epoch}, ${new Date(epoch * 900_000)}, ${new Date((epoch + 1) * 900_000)}) RETURNING id)
      INSERT INTO reward_emissions (epoch, scheduled, granted, workers, checkers, platform)
      SELECT id, ${100n * TOKEN}, ${100n * TOKEN}, ${70n * TOKEN}, ${20n * TOKEN}, ${10n * TOKEN} FROM e`;
    await page.goto(`${stack.url}/explorer`);
    await page.getByRole("heading", { name: "Emission per epoch" }).waitFor();
    await page.locator("[data-chart=emission] svg").first().waitFor();
    // (The stack's coordinator may have granted an epoch of its own since: the newest is not always ours.)
    expect(await page.locator("#emission-summary").innerText()).toMatch(/tokens granted over the last \d+ epochs; epoch \d+ emitted/);
    const api = (await (await fetch(`${stack.url}/api/v1/rewards/emissions?limit=500`)).json()) as {
      emissions: { epoch: number; granted: string }[];
    };
    expect(api.emissions.find((e) => e.epoch === epoch)?.granted).toBe(String(100n * TOKEN));
  });
});
