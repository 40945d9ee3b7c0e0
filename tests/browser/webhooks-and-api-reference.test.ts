import { mkdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support/stack.ts";
import { checkAtBothWidths, DESKTOP, launchChromium } from "./chromium.ts";
import { signUpWithOrganisation } from "./dashboard-user.ts";

// A startup's developer in a real browser: adds a webhook endpoint on the dashboard, copies
// the signing secret shown once, sends a test event and sees it delivered in the log, while
// a receiver on their machine verifies it with the standardwebhooks package; then reads the
// API reference the dashboard links to. axe finds nothing serious at either width. Local
// receivers need WEBHOOK_ALLOW_LOCAL_URLS=1, as the README says for trying webhooks locally.

const SCREENSHOTS = join(import.meta.dirname, "../../docs/screenshots");

let stack: Stack;
let browser: Browser;
let page: Page;
let receiver: Server;
let receiverUrl: string;
let secret = "";
const verified: { type: string }[] = [];

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  [stack, browser] = await Promise.all([
    startStack({ env: { WEBHOOK_ALLOW_LOCAL_URLS: "1", WEBHOOK_DELIVERY_INTERVAL_MS: "200" } }),
    launchChromium(),
  ]);
  page = await (await browser.newContext({ viewport: DESKTOP })).newPage();
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      try {
        verified.push(new Webhook(secret).verify(Buffer.concat(chunks).toString("utf8"), headers) as { type: string });
        res.writeHead(204).end();
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
}, 240_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r()));
});

describe("webhooks on the dashboard, and the API reference", () => {
  it("adds an endpoint, shows its secret once, sends a test event and shows it delivered", async () => {
    await signUpWithOrganisation(page, stack.url, { name: "Wen", email: "wen@startup.example", org: "Wen Labs" });
    await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "Webhooks" }).click();
    await page.waitForURL(`${stack.url}/dashboard/webhooks`);
    await checkAtBothWidths(page, {
      dir: SCREENSHOTS,
      name: "webhooks-empty",
      ready: (p) => p.getByRole("button", { name: "Add endpoint" }).waitFor(),
    });

    await page.getByLabel("URL (https)").fill(receiverUrl);
    await page.getByLabel("Description").fill("our job tracker");
    await page.getByRole("button", { name: "Add endpoint" }).click();
    secret = await page.getByLabel("Signing secret").inputValue();
    expect(secret).toMatch(/^whsec_/);

    await page.getByRole("button", { name: "Send test event" }).click();
    await page.getByText(/Test event .* queued/).waitFor();
    // The log fills in as the coordinator delivers: reload until it says delivered.
    const log = page.getByRole("table", { name: `Deliveries to ${receiverUrl}` });
    for (let i = 0; i < 60; i++) {
      await page.reload();
      if ((await log.getByText("delivered").count()) > 0) break;
      await page.waitForTimeout(500);
    }
    await expect(log.getByText("delivered").count()).resolves.toBe(1);
    await expect(log.getByText(/^204 \(\d+ ms\)$/).count()).resolves.toBe(1);
    expect(verified.map((v) => v.type)).toEqual(["webhook.test"]);
    // The secret is shown once: not on the page any more.
    await expect(page.getByLabel("Signing secret").count()).resolves.toBe(0);
    await checkAtBothWidths(page, { dir: SCREENSHOTS, name: "webhooks-delivered", ready: () => log.getByText("delivered").waitFor() });
  });

  it("reads the API reference the dashboard links to: every route, its auth and a curl example", async () => {
    await page.setViewportSize(DESKTOP);
    await page.goto(`${stack.url}/dashboard/webhooks`);
    await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "API reference" }).click();
    await page.waitForURL(`${stack.url}/docs/api`);
    const text = (await page.locator("main").textContent()) ?? "";
    for (const path of ["/api/v1/jobs", "/api/v1/jobs/{id}", "/api/v1/webhooks/endpoints", "/v1/embeddings"]) expect(text).toContain(path);
    expect(text).toContain("Authorization: Bearer");
    await checkAtBothWidths(page, { dir: SCREENSHOTS, name: "api-reference" });
  });
});
