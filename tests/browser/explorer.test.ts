import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, type Stack, startStack, type WorkerHandle } from "../support/stack.ts";
import { DESKTOP, describeViolations, launchChromium, PHONE, seriousAxeViolations } from "./chromium.ts";

const SCREENSHOTS = join(import.meta.dirname, "../../docs/screenshots");
const MODEL = "encoder-synthetic-minilm";
/** The explorer polls every 5 s; a worker's first heartbeat lands within a few seconds of its start. */
const LIVE_TIMEOUT_MS = 60_000;

let stack: Stack;
let browser: Browser;
let montreal: WorkerHandle;
let page: Page;

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  [stack, browser] = await Promise.all([startStack(), launchChromium()]);
  page = await browser.newPage({ viewport: DESKTOP });
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const montrealMarker = () => page.locator('[data-region="ca-montreal"]');

describe("the public explorer", () => {
  it("shows an empty network, then a worker that starts in Montreal, without a reload", async () => {
    await page.goto(`${stack.url}/explorer`);
    await expect(page.getByRole("heading", { level: 1, name: "Network explorer" }).isVisible()).resolves.toBe(true);
    await page.getByText("No worker is online right now.").waitFor();
    expect(await montrealMarker().count()).toBe(0);

    montreal = await stack.addWorker("montreal", { INTRA_OP_THREADS: "1" }, { region: "ca-montreal" });
    // Same document: the marker must come from the client's poll, not from a navigation.
    await page.evaluate("window.__explorerNotReloaded = true");
    await montrealMarker().waitFor({ timeout: LIVE_TIMEOUT_MS });
    expect(await page.evaluate("window.__explorerNotReloaded")).toBe(true);

    const label = await montrealMarker().getAttribute("aria-label");
    expect(label).toMatch(/^Montreal: 1 worker online, \d+ free slots?$/);
    expect(await page.getByRole("img", { name: label ?? "" }).count()).toBe(1);
    const nodesOnline = Number(await page.locator('[data-stat="Nodes online"]').innerText());
    expect(nodesOnline).toBeGreaterThanOrEqual(1);
    expect(await page.getByRole("row", { name: /Montreal 1/ }).count()).toBe(1);
    // Keyboard users reach the marker and get the same numbers in the tooltip.
    await montrealMarker().focus();
    await page.locator("svg text", { hasText: /^1 online · \d+ free slots$/ }).waitFor({ timeout: 5_000 });
  });

  it("counts a finished job per minute, model and region, with no ids", async () => {
    const submitted = await api<{ id: string; state: string }>(stack, "/api/v1/jobs", {
      body: { model: MODEL, input: { text: "hello explorer" } },
    });
    expect(submitted.status).toBeLessThan(300);
    // The recent-activity table's row (the model catalog on the same page names the model too).
    const row = page.getByRole("table", { name: "Jobs finished per minute, model and region" }).locator("tr", { hasText: MODEL });
    await row.first().waitFor({ timeout: LIVE_TIMEOUT_MS });
    expect(await row.first().innerText()).toContain("Montreal");
    const html = await page.content();
    expect(html).not.toContain(submitted.body.id);
    expect(html).not.toContain(montreal.nodeId);
    expect(html).not.toContain(stack.seed.providerOrgId);
    expect(html).not.toContain(stack.seed.customerOrgId);

    const recent = await api<{ activity: Record<string, unknown>[] }>(stack, "/api/v1/network/recent?limit=5", { key: null });
    expect(recent.status).toBe(200);
    expect(Object.keys(recent.body.activity[0] ?? {}).sort()).toEqual([
      "bucket",
      "jobs",
      "medianDurationMs",
      "model",
      "region",
      "succeeded",
    ]);
  });

  it("has no serious or critical accessibility violation on / and /explorer, at desktop and phone width", async () => {
    for (const viewport of [DESKTOP, PHONE]) {
      await page.setViewportSize(viewport);
      for (const path of ["/", "/explorer"]) {
        await page.goto(`${stack.url}${path}`);
        if (path === "/explorer") await montrealMarker().waitFor();
        const violations = await seriousAxeViolations(page);
        expect(violations, `${path} at ${viewport.width}px:\n${describeViolations(violations)}`).toEqual([]);
      }
    }
  });

  it("fits a phone screen and saves screenshots at desktop and phone width", async () => {
    for (const [name, viewport] of [
      ["desktop", DESKTOP],
      ["phone", PHONE],
    ] as const) {
      await page.setViewportSize(viewport);
      await page.goto(`${stack.url}/explorer`);
      await montrealMarker().waitFor();
      // Nothing wider than the screen: no sideways scrolling on a phone.
      expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(viewport.width);
      await page.screenshot({ path: join(SCREENSHOTS, `explorer-${name}.png`), fullPage: true });
      await page.goto(`${stack.url}/`);
      await page.getByRole("link", { name: "Network explorer" }).waitFor();
      await page.screenshot({ path: join(SCREENSHOTS, `landing-${name}.png`), fullPage: true });
    }
  });
});
