import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { sql } from "@proofgrid/db/sql-client";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Spawned, spawnWorker, workerArgs } from "../../scripts/lib/processes.ts";
import { api, type Stack, startStack } from "../support/stack.ts";
import { checkAtBothWidths, DESKTOP, launchChromium } from "./chromium.ts";
import { signUpWithOrganisation } from "./dashboard-user.ts";

// The provider portal in a real browser: a provider signs up, gets the worker command on
// /dashboard/workers, a real worker process registers with exactly that token and URL,
// bonds its stake and starts; the page shows it online with its capability without a
// reload, the public explorer shows it on the map, its page explains why it does or does
// not get jobs, and another organisation's user gets a 404 for it.

const execFileAsync = promisify(execFile);
const SCREENSHOTS = join(import.meta.dirname, "../../docs/screenshots");
/** The table polls every 4 s; registration marks the node online at once. */
const LIVE_TIMEOUT_MS = 30_000;
const JOB_TIMEOUT_MS = 60_000;
const MODEL = "encoder-synthetic-minilm";

let stack: Stack;
let browser: Browser;
let provider: BrowserContext;
let page: Page;
let nodeDir: string;
let worker: Spawned | undefined;
let nodeId: string;

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  nodeDir = mkdtempSync(join(tmpdir(), "proofgrid-provider-node-"));
  [stack, browser] = await Promise.all([startStack(), launchChromium()]);
  provider = await browser.newContext({ viewport: DESKTOP });
  page = await provider.newPage();
}, 180_000);
afterAll(async () => {
  await worker?.stop(5_000);
  await browser?.close();
  await stack?.stop();
  rmSync(nodeDir, { recursive: true, force: true });
});

const screenshots = (p: Page, path: string, name: string) => checkAtBothWidths(p, { dir: SCREENSHOTS, name, url: `${stack.url}${path}` });

describe("the provider portal", () => {
  it("gives a new provider the worker command; a real worker registers with it and shows online without a reload", async () => {
    await signUpWithOrganisation(page, stack.url, { name: "Pat", email: "pat@example.com", org: "Pat GPUs", kind: /Provide GPUs/ });
    await page.getByRole("link", { name: "Workers" }).click();
    await page.waitForURL(`${stack.url}/dashboard/workers`);
    await page.getByRole("heading", { level: 1, name: "Workers" }).waitFor();
    expect(await page.locator("[data-empty-workers]").count()).toBe(1);

    await page.getByLabel("Region of the machine").selectOption("ca-montreal");
    await page.getByRole("button", { name: "Add a worker" }).first().click();
    const commands = page.locator("#worker-commands");
    await commands.waitFor();
    expect(await page.getByText("shown only now").count()).toBe(1);
    const [install, register, start] = (await commands.innerText()).trim().split("\n");
    expect(install).toBe(`npm install -g --ignore-scripts ${stack.url}/downloads/proofgrid-worker.tgz`);
    const match = /^proofgrid-worker register --url (\S+) --token (pgr_[A-Za-z0-9_-]{43}) --region ca-montreal$/.exec(register ?? "");
    expect(match, register).not.toBeNull();
    const [, url = "", token = ""] = match ?? [];
    expect(url).toBe(stack.url);
    expect(start).toBe("proofgrid-worker start");

    // Same document from here on: the row must come from the table's poll, not a navigation.
    await page.evaluate("window.__workersNotReloaded = true");

    const env = { ...process.env, PROOFGRID_URL: url, PROOFGRID_NODE_DIR: nodeDir };
    // The page's register command, with a fixed claimed capability instead of the benchmark.
    const { stdout } = await execFileAsync(
      process.execPath,
      workerArgs(["register", "--token", token, "--region", "ca-montreal", "--cu-per-hour", "3600"]),
      { env, encoding: "utf8" },
    );
    nodeId = (JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as { nodeId: string }).nodeId;
    expect(nodeId).toMatch(/^[0-9a-f-]{36}$/);
    // The token worked once: it is spent.
    await expect(
      execFileAsync(process.execPath, workerArgs(["register", "--token", token, "--region", "ca-montreal", "--cu-per-hour", "3600"]), {
        env: { ...env, PROOFGRID_NODE_DIR: join(nodeDir, "again") },
        encoding: "utf8",
      }),
    ).rejects.toThrow();

    // Bond the minimum stake the stack's way (tokens granted by the platform first: no purchase flow).
    const orgId = (await sql().$queryRaw<{ org_id: string }[]>`SELECT org_id::text FROM nodes WHERE id = ${nodeId}::uuid`)[0]?.org_id ?? "";
    const { grantCredits } = await import("../../apps/web/src/server/services/billing/grant-credits.ts");
    const { stakeMinimumFor } = await import("../../apps/web/src/server/services/seed/seed-demo.ts");
    await grantCredits({ orgId, amount: 1_000_000_000_000n, idempotencyKey: "funds:pat-gpus", memo: "test credits" });
    await stakeMinimumFor(nodeId);
    worker = spawnWorker(["start"], { env: { ...env, INTRA_OP_THREADS: "1" }, output: "pipe" });

    const row = page.locator(`tr[data-worker-id="${nodeId}"]`);
    await row.locator('[data-status="online"]').waitFor({ timeout: LIVE_TIMEOUT_MS });
    expect(await row.locator("[data-capability]").innerText()).toBe("3,600 CU/h");
    expect(await row.locator('[data-label="Region"]').innerText()).toBe("ca-montreal");
    // The stake bonded above reaches the table on a later poll.
    await row.getByText("below the minimum").waitFor({ state: "detached", timeout: LIVE_TIMEOUT_MS });
    expect(await page.evaluate("window.__workersNotReloaded")).toBe(true);
    expect(await page.locator("[data-empty-workers]").count()).toBe(0);

    // A customer's job runs on it (the only worker): the table shows it served and earned, still without a reload.
    const submitted = await api<{ id: string }>(stack, "/api/v1/jobs", {
      body: { model: MODEL, input: { text: "hello from a provider's worker" } },
    });
    expect(submitted.status, JSON.stringify(submitted.body)).toBeLessThan(300);
    const done = await api<{ state: string }>(stack, `/api/v1/jobs/${submitted.body.id}?wait=${JOB_TIMEOUT_MS}`);
    expect(done.body.state).toBe("succeeded");
    await row.locator('[data-label="Jobs served"]', { hasText: /^1$/ }).waitFor({ timeout: LIVE_TIMEOUT_MS });
    await row.locator('[data-label="Earnings"]', { hasNotText: /^0 tokens$/ }).waitFor({ timeout: LIVE_TIMEOUT_MS });
    expect(await page.evaluate("window.__workersNotReloaded")).toBe(true);

    // The token lives only in that response: a fresh page never shows it.
    await page.reload();
    await row.waitFor();
    expect(await page.content()).not.toContain(token);
  });

  it("shows that worker on the public explorer's map, in Montreal", async () => {
    // Anyone, signed in or not: a fresh context with no session.
    const visitor = await browser.newPage({ viewport: DESKTOP });
    try {
      await visitor.goto(`${stack.url}/explorer`);
      const marker = visitor.locator('[data-region="ca-montreal"]');
      await marker.waitFor({ timeout: LIVE_TIMEOUT_MS }).catch(async (err) => {
        const live = await (await fetch(`${stack.url}/api/v1/network/live`)).text();
        throw new Error(`${String(err)}; network/live: ${live.slice(0, 1500)}`);
      });
      // Pat's worker is the only one on this stack.
      expect(await marker.getAttribute("aria-label")).toMatch(/^Montreal: 1 worker online, \d+ free slots?$/);
      expect(await visitor.locator("[data-region]").count()).toBe(1);
      await visitor.screenshot({ path: join(SCREENSHOTS, "explorer-provider-node-desktop.png") });
    } finally {
      await visitor.close();
    }
  });

  it("shows the worker's page with its stake and why it is or is not getting jobs", async () => {
    await page.locator(`tr[data-worker-id="${nodeId}"] a`).click();
    await page.waitForURL(`${stack.url}/dashboard/workers/${nodeId}`);
    await page.getByRole("heading", { level: 1 }).waitFor();
    const reasons = page.locator("[data-diagnostics] [data-reason]");
    expect(await reasons.count()).toBeGreaterThan(0);
    // Staked and online: neither reason can apply (which others do depends on the network's last hour).
    expect(await page.locator('[data-reason="stake_below_minimum"], [data-reason="offline"]').count()).toBe(0);
    expect(await page.locator("[data-stake]").innerText()).toMatch(/^[\d.]+ \/ [\d.]+$/);
    expect(await page.getByText("Why it is or is not getting jobs").count()).toBe(1);
    expect(await page.locator("[data-chart-summary]").innerText()).toMatch(/tokens earned in the last 24 hours/);
    const job = page.locator('[data-label="Model"]', { hasText: MODEL });
    expect(await job.count()).toBe(1);
  });

  it("lets the provider stake, unbond, set the ask, pause and resume, and rename the worker from its page", async () => {
    const node = async () =>
      (
        await sql().$queryRaw<{ name: string; ask: string | null; paused: boolean; bonded: string }[]>`
          SELECT n.name, n.ask_price_per_cu::text AS ask, n.paused_at IS NOT NULL AS paused,
                 coalesce((SELECT balance FROM ledger_accounts WHERE code = 'node:' || n.id::text || ':stake'), 0)::text AS bonded
          FROM nodes n WHERE n.id = ${nodeId}::uuid`
      )[0];
    const before = await node();
    // Submits one control and waits for its server action's answer (a POST to this page).
    const submit = async (op: string) => {
      await Promise.all([
        page.waitForResponse((r) => r.request().method() === "POST" && r.url().includes(`/dashboard/workers/${nodeId}`)),
        page.locator(`form[data-control="${op}"] button[type="submit"]`).click(),
      ]);
      await page.locator(`[data-control-done="${op}"], [data-control-error="${op}"]`).first().waitFor();
    };
    // A bad amount is refused in words, and nothing moves.
    await page.locator("#stake-amount").fill("-3");
    await submit("stake");
    expect(await page.locator('[data-control-error="stake"]').innerText()).toMatch(/positive amount of tokens/);
    expect((await node())?.bonded).toBe(before?.bonded);
    // 12.5 tokens more, from credits.
    await page.locator("#stake-amount").fill("12.5");
    await page.locator("#stake-source").selectOption("available");
    await submit("stake");
    expect(await page.locator('[data-control-done="stake"]').innerText()).toBe("Bonded 12.5 tokens.");
    expect(BigInt((await node())?.bonded ?? -1)).toBe(BigInt(before?.bonded ?? 0) + 12_500_000n);
    // Unbonding warns first, then says when the tokens come back.
    expect(await page.locator("#unbond-warning").innerText()).toMatch(/can still be slashed/);
    await page.locator("#unbond-amount").fill("2.5");
    await submit("unbond");
    expect(await page.locator('[data-control-done="unbond"]').innerText()).toMatch(
      /^Unbonding 2\.5 tokens: they return to your balance at .+ UTC\.$/,
    );
    expect(BigInt((await node())?.bonded ?? -1)).toBe(BigInt(before?.bonded ?? 0) + 10_000_000n);
    // The ask: a bad one is refused, a good one is stored.
    await page.locator("#ask-price").fill("12.5");
    await submit("ask");
    expect(await page.locator('[data-control-error="ask"]').innerText()).toMatch(/whole number of base units/);
    await page.locator("#ask-price").fill("42000");
    await submit("ask");
    expect((await node())?.ask).toBe("42000");
    // Pause drains it: the page and its diagnosis say so; resume undoes it.
    await submit("availability");
    await page.locator("[data-paused]").waitFor();
    expect((await node())?.paused).toBe(true);
    expect(await page.locator('[data-diagnostics] [data-reason="paused"]').count()).toBe(1);
    await submit("availability");
    await page.locator("[data-paused]").waitFor({ state: "detached" });
    expect((await node())?.paused).toBe(false);
    // Renamed, in the heading.
    await page.locator("#worker-name").fill("Pat's big GPU");
    await submit("rename");
    await page.getByRole("heading", { level: 1, name: "Pat's big GPU" }).waitFor();
    expect((await node())?.name).toBe("Pat's big GPU");
  });

  it("has no serious accessibility violation on the workers page and the worker page, at desktop and phone width", async () => {
    await screenshots(page, "/dashboard/workers", "workers");
    await screenshots(page, `/dashboard/workers/${nodeId}`, "worker");
  });

  it("gives another organisation's user a 404 for the worker, by page and by procedure", async () => {
    const other = await browser.newContext({ viewport: DESKTOP });
    const p = await other.newPage();
    await signUpWithOrganisation(p, stack.url, { name: "Quinn", email: "quinn@example.com", org: "Quinn Compute", kind: /Provide GPUs/ });
    const res = await p.goto(`${stack.url}/dashboard/workers/${nodeId}`);
    expect(res?.status()).toBe(404);
    expect(await p.content()).not.toContain("Pat GPUs");
    await p.goto(`${stack.url}/dashboard/workers`);
    await p.getByRole("heading", { level: 1, name: "Workers" }).waitFor();
    expect(await p.locator(`tr[data-worker-id="${nodeId}"]`).count()).toBe(0);
    const get = await p.request.get(
      `${stack.url}/api/trpc/workers.get?input=${encodeURIComponent(JSON.stringify({ json: { id: nodeId } }))}`,
    );
    expect(get.status()).toBe(404);
    const diagnostics = await p.request.get(
      `${stack.url}/api/trpc/workers.diagnostics?input=${encodeURIComponent(JSON.stringify({ json: { id: nodeId } }))}`,
    );
    expect(diagnostics.status()).toBe(404);
    const list = await p.request.get(`${stack.url}/api/trpc/workers.list`);
    expect(list.status()).toBe(200);
    expect(await list.text()).not.toContain(nodeId);
    await other.close();
  });

  it("refuses, in the dialog, to remove a worker that still holds stake; nothing changes", async () => {
    await page.goto(`${stack.url}/dashboard/workers/${nodeId}`);
    await page.getByRole("button", { name: /^Remove worker/ }).click();
    const dialog = page.getByRole("alertdialog");
    await dialog.getByRole("button", { name: "Remove", exact: true }).click();
    await dialog.getByText(/cannot be removed yet: it has .*tokens bonded \(unbond them first\)/).waitFor();
    const rows = await sql().$queryRaw<
      { removed: boolean }[]
    >`SELECT removed_at IS NOT NULL AS removed FROM nodes WHERE id = ${nodeId}::uuid`;
    expect(rows[0]?.removed).toBe(false);
  });
});
