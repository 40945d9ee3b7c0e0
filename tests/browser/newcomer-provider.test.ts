import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProviderMachine, type ProviderMachine } from "../support/provider-machine.ts";
import { waitFor } from "../support/wait.ts";
import { checkAtBothWidths, DESKTOP, launchChromium } from "./chromium.ts";
import { signUpWithOrganisation, terminalMailbox } from "./dashboard-user.ts";
import { defaultPortsFree, NPM_START_LOG, type NpmStart, startNpmStart } from "./npm-start.ts";

// The newcomer's path, as a GPU provider (issue 10): `npm start` exactly as a person runs it,
// then chromium at the URL it printed signs up a provider organisation and asks the portal
// for a worker; on "another machine" (an empty folder outside the repo with its own HOME, npm
// prefix and PATH) the provider types the three commands the page showed — install the
// packed worker from the platform, register, start — and its worker appears online on the
// page without a reload. With no tokens to stake, it runs on the starter allowance the page
// explains; a customer's job from its region (the demo key npm start printed) runs on it,
// and the provider sees its first earned job in the portal.

const SCREENSHOTS = join(import.meta.dirname, "../../docs/screenshots");
const START_TIMEOUT_MS = 540_000;
const REGION = "ca-montreal";
const LIVE_TIMEOUT_MS = 60_000;

let npm: (NpmStart & { cleanUp(): void }) | undefined;
let browser: Browser;
let page: Page;
let url: string;
let machine: ProviderMachine;
let daemon: ChildProcess | undefined;
const daemonLog: string[] = [];
let commands: { install: string; register: string; start: string };
let nodeId = "";

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  machine = createProviderMachine();
  [npm, browser] = await Promise.all([startNpmStart({ timeoutMs: START_TIMEOUT_MS }), launchChromium()]);
  url = npm.url;
  page = await (await browser.newContext({ viewport: DESKTOP })).newPage();
}, START_TIMEOUT_MS + 60_000);
afterAll(async () => {
  if (daemon?.pid && daemon.exitCode === null) {
    process.kill(-daemon.pid, "SIGTERM");
    await new Promise((r) => setTimeout(r, 3_000));
    if (daemon.exitCode === null) process.kill(-daemon.pid, "SIGKILL");
  }
  await browser?.close();
  await npm?.stop();
  npm?.cleanUp();
  machine?.remove();
}, 120_000);

describe("a GPU provider's first hour, on npm start", () => {
  it("signs up at the printed URL and gets the worker's three commands from the portal", async () => {
    expect(url).toBe("http://localhost:3000");
    // The confirmation link is in the terminal running npm start (no SMTP configured), where a person finds it.
    await signUpWithOrganisation(
      page,
      url,
      { name: "Noor", email: "noor@example.com", org: "Noor GPUs", kind: /Provide GPUs/ },
      terminalMailbox(npm),
    );
    await page.getByRole("link", { name: "Workers" }).click();
    await page.waitForURL(`${url}/dashboard/workers`);
    await page.getByLabel("Region of the machine").selectOption(REGION);
    await page.getByRole("button", { name: "Add a worker" }).first().click();
    const shown = page.locator("#worker-commands");
    await shown.waitFor();
    const [install = "", register = "", start = ""] = (await shown.innerText()).trim().split("\n");
    expect(install).toBe(`npm install -g --ignore-scripts ${url}/downloads/proofgrid-worker.tgz`);
    expect(register).toMatch(new RegExp(`^proofgrid-worker register --url ${url} --token pgr_[A-Za-z0-9_-]{43} --region ${REGION}$`));
    expect(start).toBe("proofgrid-worker start");
    commands = { install, register, start };
  });

  it("installs and registers on another machine with exactly those commands", async () => {
    const installed = await machine.sh(commands.install, { timeoutMs: 600_000 });
    expect(installed.code, installed.stderr.slice(-2_000)).toBe(0);
    const registered = await machine.sh(commands.register, { timeoutMs: 300_000 });
    expect(registered.code, registered.stderr.slice(-2_000)).toBe(0);
    nodeId = (JSON.parse(registered.stdout.trim().split("\n").at(-1) ?? "{}") as { nodeId?: string }).nodeId ?? "";
    expect(nodeId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("starts; the portal shows it online without a reload, on the starter allowance the page explains", async () => {
    await page.evaluate("window.__notReloaded = true");
    daemon = machine.spawn(commands.start, { onLine: (l) => daemonLog.push(l) });
    const row = page.locator(`tr[data-worker-id="${nodeId}"]`);
    await row.locator('[data-status="online"]').waitFor({ timeout: LIVE_TIMEOUT_MS });
    expect(await page.evaluate("window.__notReloaded")).toBe(true);
    // No tokens to stake: its page says what lets it work anyway.
    await page.goto(`${url}/dashboard/workers/${nodeId}`);
    await page.getByRole("heading", { level: 1 }).waitFor();
    expect(await page.content()).toMatch(/starter allowance/);
  });

  it("runs a customer's job from its region and shows the provider its first earned job", async () => {
    // The customer: the demo API key npm start printed, a job from Montreal (as a client there
    // would send it). The platform's own local worker competes, so a few jobs may be needed.
    let ranHere = false;
    for (let i = 0; i < 6 && !ranHere; i++) {
      const submit = await fetch(`${url}/api/v1/jobs`, {
        method: "POST",
        headers: { authorization: `Bearer ${npm?.apiKey}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "encoder-synthetic-minilm", input: { text: `a job from Montreal, try ${i}` }, region: REGION }),
      });
      const job = (await submit.json()) as { id: string };
      expect(submit.status, JSON.stringify(job)).toBe(201);
      const done = (await (
        await fetch(`${url}/api/v1/jobs/${job.id}?wait=60000`, { headers: { authorization: `Bearer ${npm?.apiKey}` } })
      ).json()) as {
        state: string;
        workerId: string | null;
      };
      expect(done.state).toBe("succeeded");
      ranHere = done.workerId === nodeId;
    }
    expect(ranHere, `no job ran on the new worker; its log: ${daemonLog.slice(-20).join("\n")}; npm start log: ${NPM_START_LOG}`).toBe(
      true,
    );

    await page.goto(`${url}/dashboard/workers`);
    const row = page.locator(`tr[data-worker-id="${nodeId}"]`);
    await row.locator('[data-label="Jobs served"]', { hasNotText: /^0$/ }).waitFor({ timeout: LIVE_TIMEOUT_MS });
    await row.locator('[data-label="Earnings"]', { hasNotText: /^0 tokens$/ }).waitFor({ timeout: LIVE_TIMEOUT_MS });
    await checkAtBothWidths(page, { dir: SCREENSHOTS, name: "newcomer-provider-workers" });
    await waitFor("the daemon to have logged a job", async () => daemonLog.some((l) => /job/i.test(l)), { timeoutMs: 10_000 });
  });

  it("stops with Ctrl-C, leaving no process and the ports free", async () => {
    const stopped = await npm?.stop();
    expect(stopped?.left).toEqual([]);
    expect(await defaultPortsFree()).toBe(true);
  });
});
