import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { sql } from "@proofgrid/db/sql-client";
import { parse } from "csv-parse/sync";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, type Stack, startStack } from "../support/stack.ts";
import { DESKTOP, expectAccessible, launchChromium, PHONE } from "./chromium.ts";
import { signUpWithOrganisation } from "./dashboard-user.ts";

// The startup dashboard's overview in a real browser, on a real stack: a new organisation
// sees the empty state; jobs run on a real worker while the page stays open, and the charts
// fill in with the organisation's own numbers without a reload; the CSV download holds
// those jobs and nobody else's; axe finds nothing serious at desktop and phone width.

const SCREENSHOTS = join(import.meta.dirname, "../../docs/screenshots");
const MODEL = "encoder-synthetic-minilm";
const JOBS = 3;
/** The page polls every 10 s; a job on the real worker takes well under a second once the model is warm. */
const LIVE_TIMEOUT_MS = 45_000;

let stack: Stack;
let browser: Browser;
let erin: BrowserContext;
let page: Page;
let orgId: string;
let key: string;
const jobIds: string[] = [];

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  [stack, browser] = await Promise.all([startStack(), launchChromium()]);
  await stack.addWorker("overview", { INTRA_OP_THREADS: "1" });
  erin = await browser.newContext({ viewport: DESKTOP });
  page = await erin.newPage();
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const summary = (p: Page, chart: string) => p.locator(`[data-chart="${chart}"] [data-chart-summary]`);

/** Base units → tokens, as the dashboard prints them. */
function tokens(base: bigint): string {
  const frac = (base % 1_000_000n).toString().padStart(6, "0").replace(/0+$/, "");
  return `${base / 1_000_000n}${frac ? `.${frac}` : ""}`;
}

describe("dashboard overview", () => {
  it("shows a new organisation an empty state that leads to the playground, not empty axes", async () => {
    await signUpWithOrganisation(page, stack.url, { name: "Erin", email: "erin@example.com", org: "Erin Vision" });
    orgId =
      (
        await sql().$queryRaw<{ id: string }[]>`
          SELECT o.id FROM organizations o JOIN memberships m ON m.org_id = o.id JOIN users u ON u.id = m.user_id
          WHERE u.email = 'erin@example.com'`
      )[0]?.id ?? "";
    expect(orgId).toMatch(/^[0-9a-f-]{36}$/);
    const { grantCredits } = await import("../../apps/web/src/server/services/billing/grant-credits.ts");
    const { createApiKey } = await import("../../apps/web/src/server/auth/api-keys.ts");
    await grantCredits({ orgId, amount: 1_000_000_000n, idempotencyKey: "funds:erin-vision", memo: "test credits" });
    key = (await createApiKey({ orgId, name: "overview-test", scopes: ["jobs:read", "jobs:write"] })).key;

    await page.locator("[data-usage-empty]").waitFor();
    expect(await page.locator("[data-usage-empty]").innerText()).toContain("No jobs yet.");
    expect(await page.getByRole("link", { name: "Try a model in the playground" }).getAttribute("href")).toBe("/dashboard/playground");
    expect(await page.locator("[data-chart]").count()).toBe(0);
    await expectAccessible(page, "empty overview");
  });

  it(
    "draws the organisation's jobs, spend, success rate and time to result as they run, without a reload",
    async () => {
      // Marks this document: a reload or navigation would lose it.
      await page.evaluate("window.__sameDocument = true");
      for (let i = 0; i < JOBS; i++) {
        const res = await api<{ id: string }>(stack, "/api/v1/jobs", { key, body: { model: MODEL, input: { text: `overview job ${i}` } } });
        expect(res.status, JSON.stringify(res.body)).toBe(201);
        jobIds.push(res.body.id);
      }
      for (const id of jobIds) {
        const done = await api<{ state: string }>(stack, `/api/v1/jobs/${id}?wait=30000`, { key });
        expect(done.body.state).toBe("succeeded");
      }
      // The ledger's charges for these jobs: what the spend tile and summary must say.
      const charged = (
        await sql().$queryRaw<{ spend: string }[]>`
          SELECT (-sum(e.amount))::text AS spend FROM ledger_entries e
          JOIN ledger_accounts a ON a.id = e.account_id JOIN ledger_transfers t ON t.id = e.transfer_id
          WHERE a.org_id = ${orgId}::uuid AND a.code IN (${`org:${orgId}:available`}, ${`org:${orgId}:held`}) AND t.kind = 'settle'`
      )[0]?.spend;
      expect(BigInt(charged ?? "0")).toBeGreaterThan(0n);

      await summary(page, "jobs")
        .filter({ hasText: `${JOBS} jobs finished in the last 24 hours: ${JOBS} succeeded, 0 failed` })
        .waitFor({ timeout: LIVE_TIMEOUT_MS });
      expect(await page.evaluate("window.__sameDocument === true")).toBe(true);
      expect(await page.locator('[data-stat="finished"]').innerText()).toBe(String(JOBS));
      expect(await page.locator('[data-stat="success-rate"]').innerText()).toBe("100 %");
      expect(await page.locator('[data-stat="spend"]').innerText()).toBe(`${tokens(BigInt(charged ?? "0"))} tokens`);
      expect(await summary(page, "spend").innerText()).toMatch(
        new RegExp(`^${tokens(BigInt(charged ?? "0")).replace(".", "\\.")} tokens spent in the last 24 hours`),
      );
      expect(await summary(page, "success").innerText()).toContain(
        `100 % of finished jobs succeeded in the last 24 hours (${JOBS} of ${JOBS})`,
      );
      expect(await summary(page, "latency").innerText()).toMatch(
        /half of the jobs took [\d.]+ m?s or less \(p50\) and 95 % took [\d.]+ m?s or less \(p95\)/,
      );

      // Four recharts charts, each named by its heading and described by its summary.
      for (const [chart, name] of [
        ["spend", "Spend per hour (tokens)"],
        ["jobs", "Jobs per hour"],
        ["success", "Success rate (%)"],
        ["latency", "Time to result (ms)"],
      ] as const) {
        const figure = page.getByRole("figure", { name });
        expect(await figure.getAttribute("data-chart")).toBe(chart);
        expect(await figure.locator("svg.recharts-surface").count()).toBeGreaterThanOrEqual(1);
      }
      // The succeeded jobs are a bar of the current hour; no failed bar.
      expect(await page.locator('[data-chart="jobs"] .recharts-bar-rectangle path').count()).toBeGreaterThanOrEqual(1);
      expect(await page.locator('[data-chart="latency"] .recharts-line-curve').count()).toBe(2);
    },
    LIVE_TIMEOUT_MS + 90_000,
  );

  it("switches to 14 days in daily buckets over tRPC", async () => {
    await page.getByRole("button", { name: "14 d" }).click();
    await summary(page, "jobs")
      .filter({ hasText: `${JOBS} jobs finished in the last 14 days` })
      .waitFor();
    expect(await page.getByRole("button", { name: "14 d" }).getAttribute("aria-pressed")).toBe("true");
    expect(await page.getByRole("figure", { name: "Jobs per day" }).count()).toBe(1);
    await page.getByRole("button", { name: "24 h" }).click();
    await page.getByRole("figure", { name: "Jobs per hour" }).waitFor();
  });

  it("downloads the usage as CSV with the session, and over the API with a key; bad dates are a 400", async () => {
    const href = await page.getByRole("link", { name: "Download usage (CSV)" }).getAttribute("href");
    expect(href).toMatch(/^\/api\/v1\/usage\.csv\?/);
    const res = await page.request.get(`${stack.url}${href}`);
    expect(res.status()).toBe(200);
    expect(res.headers()["content-type"]).toMatch(/^text\/csv/);
    expect(res.headers()["content-disposition"]).toMatch(
      /^attachment; filename="proofgrid-usage-\d{4}-\d{2}-\d{2}-to-\d{4}-\d{2}-\d{2}\.csv"$/,
    );
    const rows = parse(await res.text(), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.job_id).sort()).toEqual([...jobIds].sort());
    for (const r of rows) expect(r).toMatchObject({ model: MODEL, state: "succeeded", worker_region: "eu-central" });
    const charged = rows.reduce((s, r) => s + Math.round(Number(r.charged_tokens) * 1e6), 0);
    expect(`${tokens(BigInt(charged))} tokens`).toBe(await page.locator('[data-stat="spend"]').innerText());

    const byKey = await fetch(`${stack.url}/api/v1/usage.csv`, { headers: { authorization: `Bearer ${key}` } });
    expect(byKey.status).toBe(200);
    const text = await byKey.text();
    for (const id of jobIds) expect(text).toContain(id);

    const bad = await fetch(`${stack.url}/api/v1/usage.csv?from=last-week`, { headers: { authorization: `Bearer ${key}` } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/from/),
    });
    const tooLong = await fetch(`${stack.url}/api/v1/usage.csv?from=2026-01-01&to=2026-12-31`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(tooLong.status).toBe(400);
    expect(((await tooLong.json()) as { error: { message: string } }).error.message).toContain("93 days");
    expect((await fetch(`${stack.url}/api/v1/usage.csv`)).status).toBe(401);
  });

  it("shows another organisation's user none of it, by page, procedure or CSV", async () => {
    const dave = await browser.newContext({ viewport: DESKTOP });
    const p = await dave.newPage();
    await signUpWithOrganisation(p, stack.url, { name: "Dave", email: "dave@example.com", org: "Dave Audio" });
    await p.locator("[data-usage-empty]").waitFor();
    const csv = await p.request.get(`${stack.url}/api/v1/usage.csv`);
    expect(csv.status()).toBe(200);
    const text = await csv.text();
    expect(text.trim()).toBe("job_id,created_at,finished_at,model,state,cost_cu,charged_tokens,worker_region,verification");
    // Asking for Erin's organisation by name: 404, as for one that does not exist.
    expect((await p.request.get(`${stack.url}/api/v1/usage.csv?org=${orgId}`)).status()).toBe(404);
    const overview = await p.request.get(
      `${stack.url}/api/trpc/usage.overview?input=${encodeURIComponent(JSON.stringify({ json: { window: "24h" } }))}`,
      {
        headers: { "x-proofgrid-org": orgId },
      },
    );
    expect(overview.status()).toBe(404);
    expect((await p.goto(`${stack.url}/dashboard?org=${orgId}`))?.status()).toBe(404);
    for (const id of jobIds) expect(await p.content()).not.toContain(id);
    await dave.close();
  });

  it("has no serious accessibility violation and fits a phone; screenshots", async () => {
    for (const [size, viewport] of [
      ["desktop", DESKTOP],
      ["phone", PHONE],
    ] as const) {
      await page.setViewportSize(viewport);
      await page.goto(`${stack.url}/dashboard`);
      await summary(page, "jobs")
        .filter({ hasText: `${JOBS} jobs finished` })
        .waitFor();
      // Charts draw once their container is measured (a line of one point is only its dot).
      await page.locator('[data-chart="latency"] svg.recharts-surface').first().waitFor();
      await expectAccessible(page, `overview at ${viewport.width}px`);
      expect(await page.evaluate("document.documentElement.scrollWidth"), `overview at ${viewport.width}px`).toBeLessThanOrEqual(
        viewport.width,
      );
      await page.screenshot({ path: join(SCREENSHOTS, `overview-${size}.png`), fullPage: true });
    }
    await page.setViewportSize(DESKTOP);
  });

  it("switching organisation shows the other one's usage, not the first one's cached figures", async () => {
    await page.goto(`${stack.url}/onboarding`);
    await page.getByLabel("Organisation name").fill("Erin Second");
    await page.getByLabel("Run inference (customer)").check();
    await page.getByRole("button", { name: "Create organisation" }).click();
    await page.getByRole("heading", { level: 1, name: "Erin Second" }).waitFor();
    await page.locator("[data-usage-empty]").waitFor();

    const switchTo = async (name: string) => {
      await page.getByLabel("Organisation", { exact: true }).selectOption({ label: name });
      await page.getByRole("button", { name: "Switch" }).click();
      await page.getByRole("heading", { level: 1, name }).waitFor();
    };
    await switchTo("Erin Vision");
    await summary(page, "jobs")
      .filter({ hasText: `${JOBS} jobs finished` })
      .waitFor();
    // Same route, new organisation: the client must not keep polling or showing Erin Vision.
    await switchTo("Erin Second");
    await page.locator("[data-usage-empty]").waitFor();
    await page.waitForTimeout(11_000);
    expect(await page.locator("[data-usage-empty]").count()).toBe(1);
    expect(await page.locator("[data-chart]").count()).toBe(0);
  }, 60_000);
});
