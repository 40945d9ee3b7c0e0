import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "@proofgrid/db/sql-client";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderTextPng } from "../support/inputs.ts";
import { speechRecording } from "../support/speech.ts";
import { type Stack, startStack } from "../support/stack.ts";
import { checkAtBothWidths, DESKTOP, launchChromium } from "./chromium.ts";
import { signUpWithOrganisation } from "./dashboard-user.ts";
import { formatTokens } from "../../apps/web/src/server/services/billing/tokens.ts";

// The startup dashboard in a real browser: a new customer runs OCR in the playground on an
// uploaded image and sees the text it reads, finds that job in the jobs list with its cost,
// opens its page with the countersigned receipt; another organisation's user gets a 404.

const SCREENSHOTS = join(import.meta.dirname, "../../docs/screenshots");
/** OCR on a real worker with one intra-op thread, after the model loads: well under this. */
const OCR_TIMEOUT_MS = 90_000;

let stack: Stack;
let browser: Browser;
let carol: BrowserContext;
let page: Page;
let tmp: string;
let jobId: string;

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  tmp = mkdtempSync(join(tmpdir(), "dashboard-jobs-"));
  [stack, browser] = await Promise.all([startStack(), launchChromium()]);
  await stack.addWorker("dashboard-jobs", { INTRA_OP_THREADS: "1" });
  carol = await browser.newContext({ viewport: DESKTOP });
  page = await carol.newPage();
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** Axe and screenshots at desktop and phone width (`path` reloads; "" keeps the page as it is). */
const screenshots = (p: Page, path: string, name: string, ready?: (p: Page) => Promise<void>) =>
  checkAtBothWidths(p, { dir: SCREENSHOTS, name, url: path ? `${stack.url}${path}` : undefined, ready });
const signUp = (p: Page, name: string, email: string, org: string) => signUpWithOrganisation(p, stack.url, { name, email, org });

describe("startup dashboard: jobs and playground", () => {
  it("shows an empty jobs list to a new organisation, with the way to the playground", async () => {
    await signUp(page, "Carol", "carol@example.com", "Carol Scans");
    const orgId = (
      await sql().$queryRaw<{ id: string }[]>`
        SELECT o.id FROM organizations o JOIN memberships m ON m.org_id = o.id JOIN users u ON u.id = m.user_id
        WHERE u.email = 'carol@example.com'`
    )[0]?.id;
    expect(orgId).toBeTruthy();
    const { grantCredits } = await import("../../apps/web/src/server/services/billing/grant-credits.ts");
    await grantCredits({ orgId: orgId ?? "", amount: 1_000_000_000n, idempotencyKey: "funds:carol-scans", memo: "test credits" });

    await page.getByRole("link", { name: "Jobs", exact: true }).click();
    await page.waitForURL(`${stack.url}/dashboard/jobs`);
    // The list streams in after the page's frame (its loading state first).
    await page.getByText("No jobs yet.").waitFor();
    await page.getByRole("link", { name: "Try a model in the playground" }).waitFor();
  });

  it(
    "runs OCR on an uploaded image in the playground and draws the recognised text's boxes",
    async () => {
      const png = join(tmp, "proofgrid.png");
      writeFileSync(png, await renderTextPng(["PROOFGRID 2026"]));
      await page.getByRole("link", { name: "Playground", exact: true }).click();
      await page.waitForURL(`${stack.url}/dashboard/playground`);
      await page.getByLabel("Image").setInputFiles(png);
      await page.getByRole("button", { name: "Read the text" }).click();

      const lines = page.getByTestId("ocr-lines");
      await lines.waitFor({ timeout: OCR_TIMEOUT_MS });
      expect(await lines.innerText()).toContain("PROOFGRID");
      expect(await page.locator('[data-testid="ocr-boxes"] polygon').count()).toBeGreaterThanOrEqual(1);
      const href = await page.getByRole("link", { name: /Open the job page/ }).getAttribute("href");
      jobId = href?.split("/").at(-1) ?? "";
      expect(jobId).toMatch(/^[0-9a-f-]{36}$/);
      // The job ran in Carol's organisation, billed through the session (no API key).
      const row = (
        await sql().$queryRaw<{ state: string; email: string }[]>`
      SELECT j.state::text AS state, u.email FROM jobs j JOIN memberships m ON m.org_id = j.org_id JOIN users u ON u.id = m.user_id
      WHERE j.id = ${jobId}::uuid`
      )[0];
      expect(row).toEqual({ state: "succeeded", email: "carol@example.com" });
      await screenshots(page, "", "playground", async (p) => {
        await p.getByTestId("ocr-lines").waitFor();
      });
    },
    OCR_TIMEOUT_MS + 60_000,
  );

  it(
    "finds the speech in an uploaded WAV and marks it on the waveform",
    async () => {
      const rec = speechRecording();
      const wav = join(tmp, "speech.wav");
      writeFileSync(wav, rec.wav);
      await page.getByLabel("Audio", { exact: true }).setInputFiles(wav);
      await page.getByRole("button", { name: "Find the speech" }).click();
      const result = page.getByTestId("vad-result");
      await result.waitFor({ timeout: OCR_TIMEOUT_MS });
      // Both stretches of speech are found (the model may split one at a pause).
      expect(await result.locator("rect[data-segment]").count()).toBeGreaterThanOrEqual(rec.speech.length);
      expect(await result.locator("path").count()).toBe(1);
      expect(await result.getByRole("heading", { name: /^Speech segments \(\d+\)$/ }).count()).toBe(1);
    },
    OCR_TIMEOUT_MS + 10_000,
  );

  it(
    "records from the microphone (chromium's fake device playing a speech file) and finds the speech",
    async () => {
      // A second chromium whose microphone plays the same recording, allowed without a prompt;
      // Carol's session comes along in her cookies.
      const rec = speechRecording();
      const wav = join(tmp, "mic.wav");
      writeFileSync(wav, rec.wav);
      const micBrowser = await launchChromium([
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        `--use-file-for-fake-audio-capture=${wav}`,
      ]);
      try {
        const ctx = await micBrowser.newContext({
          viewport: DESKTOP,
          storageState: await carol.storageState(),
          permissions: ["microphone"],
        });
        const p = await ctx.newPage();
        await p.goto(`${stack.url}/dashboard/playground`);
        await p.getByRole("button", { name: "Record from the microphone" }).click();
        await p.getByText("Recording…").waitFor();
        // The file starts with 1 s of quiet, then speech: 4 s holds the first stretch.
        await p.waitForTimeout(4_000);
        await p.getByRole("button", { name: "Stop and find the speech" }).click();
        const result = p.getByTestId("vad-result");
        await result.waitFor({ timeout: OCR_TIMEOUT_MS });
        expect(await result.locator("rect[data-segment]").count()).toBeGreaterThanOrEqual(1);
        const label = (await result.getByRole("img").getAttribute("aria-label")) ?? "";
        const seconds = Number(/Waveform of ([\d.]+) s/.exec(label)?.[1]);
        expect(seconds, label).toBeGreaterThan(3);
        expect(seconds, label).toBeLessThan(8);
        // It ran as a job of Carol's organisation, on the 16 kHz WAV the browser made.
        const job = (
          await sql().$queryRaw<{ state: string; slug: string }[]>`
            SELECT j.state::text AS state, m.slug FROM jobs j JOIN models m ON m.id = j.model_id
            JOIN memberships ms ON ms.org_id = j.org_id JOIN users u ON u.id = ms.user_id
            WHERE u.email = 'carol@example.com' ORDER BY j.created_at DESC LIMIT 1`
        )[0];
        expect(job).toEqual({ state: "succeeded", slug: "vad-silero-v5" });
      } finally {
        await micBrowser.close();
      }
    },
    OCR_TIMEOUT_MS + 30_000,
  );

  it(
    "embeds typed text in the playground and shows the vector's norm and first values",
    async () => {
      await page.getByLabel("Text", { exact: true }).fill("verified inference");
      await page.getByRole("button", { name: "Embed the text" }).click();
      const result = page.getByTestId("embedding-result");
      await result.waitFor({ timeout: OCR_TIMEOUT_MS });
      // The encoder's vectors are L2-normalised (sentence-transformers' MiniLM recipe) or close to it.
      const norm = Number(await result.locator('[data-stat="norm"]').innerText());
      expect(norm).toBeGreaterThan(0);
      expect(await result.innerText()).toMatch(/First 8 values: \[-?\d\.\d{4}/);
      expect(await result.getByRole("link", { name: /Open the job page/ }).count()).toBe(1);
    },
    OCR_TIMEOUT_MS + 10_000,
  );

  it("lists the job with its model, state, cost and worker region, and filters by state", async () => {
    await page.goto(`${stack.url}/dashboard/jobs`);
    const row = page.locator(`tr[data-job-id="${jobId}"]`);
    await row.waitFor();
    expect(await row.locator('[data-label="Model"]').innerText()).toBe("ocr-ppocr-v4");
    expect(await row.locator('[data-label="State"]').innerText()).toBe("succeeded");
    expect(await row.locator('[data-label="Cost"]').innerText()).toMatch(/^\d+(\.\d+)? tokens$/);
    // The stack's worker says `local`: it runs where the platform does (PLATFORM_REGION's default).
    expect(await row.locator('[data-label="Worker region"]').innerText()).toBe("eu-central");

    await page.getByLabel("State").selectOption("failed");
    await page.getByRole("button", { name: "Apply" }).click();
    await page.waitForURL(/state=failed/);
    await page.getByText("No jobs match these filters.").waitFor();
    await page.getByLabel("State").selectOption("succeeded");
    await page.getByLabel("Model").selectOption("ocr-ppocr-v4");
    await page.getByRole("button", { name: "Apply" }).click();
    await page.waitForURL(/state=succeeded/);
    await page.locator(`tr[data-job-id="${jobId}"]`).waitFor();

    await screenshots(page, "/dashboard/jobs", "dashboard-jobs", async (p) => {
      await p.locator(`tr[data-job-id="${jobId}"]`).waitFor();
    });
  });

  it("opens the job page: cost, placement, the recognised text and the countersigned receipt", async () => {
    await page.goto(`${stack.url}/dashboard/jobs`);
    await page.getByRole("link", { name: `Job ${jobId.slice(0, 8)}` }).click();
    await page.waitForURL(`${stack.url}/dashboard/jobs/${jobId}`);
    await page.getByRole("heading", { level: 1, name: `Job ${jobId.slice(0, 8)}` }).waitFor();
    const price = (await sql().$queryRaw<{ price: string }[]>`SELECT price::text AS price FROM jobs WHERE id = ${jobId}::uuid`)[0]?.price;
    // Tokens for a person (issue 10: no raw base units on a page).
    expect(await page.locator('[data-stat="cost"]').innerText()).toBe(`${formatTokens(price ?? "0")} tokens`);
    expect(await page.locator('[data-stat="cost"]').locator("..").innerText()).not.toContain("base units");
    expect(await page.getByTestId("ocr-lines").innerText()).toContain("PROOFGRID");
    expect(await page.getByText(/^Placed in /).innerText()).toMatch(/chosen by the indexer, score 0\.\d+/);
    // One bar per scoring term (value × weight).
    expect(await page.locator("tr[data-term]").count()).toBeGreaterThanOrEqual(5);
    const receipt = JSON.parse(await page.getByTestId("receipt").innerText()) as {
      jobId: string;
      signature: string;
      platformSignature: string;
    };
    expect(receipt.jobId).toBe(jobId);
    expect(receipt.signature).toBeTruthy();
    expect(receipt.platformSignature).toBeTruthy();
    expect(await page.getByText("countersigned by the platform").count()).toBe(1);
    await screenshots(page, `/dashboard/jobs/${jobId}`, "job");
  });

  it("answers another organisation's user with a 404 on that job page", async () => {
    const dave = await browser.newContext({ viewport: DESKTOP });
    const p = await dave.newPage();
    await signUp(p, "Dave", "dave@example.com", "Dave Audio");
    const res = await p.goto(`${stack.url}/dashboard/jobs/${jobId}`);
    expect(res?.status()).toBe(404);
    const html = await p.content();
    for (const secret of ["Carol Scans", "PROOFGRID", "platformSignature"]) expect(html).not.toContain(secret);
    // And by procedure.
    const byProcedure = await p.request.get(
      `${stack.url}/api/trpc/jobs.inputPreview?input=${encodeURIComponent(JSON.stringify({ json: { id: jobId } }))}`,
    );
    expect(byProcedure.status()).toBe(404);
    await p.goto(`${stack.url}/dashboard/jobs`);
    await p.getByText("No jobs yet.").waitFor();
    expect(await p.content()).not.toContain(jobId);
    await dave.close();
  });
});
