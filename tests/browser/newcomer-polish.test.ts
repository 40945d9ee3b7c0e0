import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "@proofgrid/db/sql-client";
import type { Browser, BrowserContext, Page } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderTextPng } from "../support/inputs.ts";
import { speechRecordingAt } from "../support/speech.ts";
import { type Stack, startStack } from "../support/stack.ts";
import { checkAtBothWidths, DESKTOP, launchChromium } from "./chromium.ts";
import { PASSWORD, signUpWithOrganisation } from "./dashboard-user.ts";

// What a newcomer met after signing in (issue 10, "Confusing or missing"), each checked in
// chromium against the real stack: refused jobs say why, a reload keeps a running job, a
// 22.05 kHz WAV works, OCR boxes sit on their text, amounts are in tokens, one word per
// verification state, JSON errors from the API, an expired session brings the person back,
// a favicon, a compact embedding with copy/download, map markers that do not hide each
// other, the account on public pages, and a provider's own overview.

const SCREENSHOTS = join(import.meta.dirname, "../../docs/screenshots");
const JOB_TIMEOUT_MS = 90_000;
const EMAIL = "pia@example.com";
const ORG = "Pia Pixels";

let stack: Stack;
let browser: Browser;
let ctx: BrowserContext;
let page: Page;
let tmp: string;
let orgId = "";

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  tmp = mkdtempSync(join(tmpdir(), "newcomer-polish-"));
  [stack, browser] = await Promise.all([startStack(), launchChromium()]);
  ctx = await browser.newContext({ viewport: DESKTOP, acceptDownloads: true });
  page = await ctx.newPage();
  await signUpWithOrganisation(page, stack.url, { name: "Pia", email: EMAIL, org: ORG });
  orgId =
    (
      await sql().$queryRaw<{ id: string }[]>`
        SELECT o.id FROM organizations o JOIN memberships m ON m.org_id = o.id JOIN users u ON u.id = m.user_id WHERE u.email = ${EMAIL}`
    )[0]?.id ?? "";
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const file = async (name: string, bytes: Buffer | Promise<Buffer>) => {
  const path = join(tmp, name);
  writeFileSync(path, await bytes);
  return path;
};

/** Screen rectangles of the OCR image and of each drawn box, and the output's own boxes. */
async function ocrGeometry(p: Page) {
  return (await p.evaluate(`(() => {
    const img = document.querySelector('[data-testid="ocr-overlay"] img').getBoundingClientRect();
    const svg = document.querySelector('[data-testid="ocr-boxes"]');
    const [, , w, h] = svg.getAttribute("viewBox").split(" ").map(Number);
    const boxes = [...svg.querySelectorAll("polygon")].map((poly) => {
      const r = poly.getBoundingClientRect();
      const pts = poly.getAttribute("points").split(" ").map((xy) => xy.split(",").map(Number));
      return { top: r.top, bottom: r.bottom, left: r.left, minY: Math.min(...pts.map((q) => q[1])), maxY: Math.max(...pts.map((q) => q[1])), minX: Math.min(...pts.map((q) => q[0])) };
    });
    return { img: { top: img.top, left: img.left, width: img.width, height: img.height }, w, h, boxes };
  })()`)) as {
    img: { top: number; left: number; width: number; height: number };
    w: number;
    h: number;
    boxes: { top: number; bottom: number; left: number; minY: number; maxY: number; minX: number }[];
  };
}

/** Each box is drawn where its image coordinates are, to within a pixel, on the last line as on the first. */
async function expectBoxesOnTheirText(p: Page, lines: number): Promise<void> {
  const g = await ocrGeometry(p);
  expect(g.boxes.length).toBeGreaterThanOrEqual(lines);
  const sx = g.img.width / g.w;
  const sy = g.img.height / g.h;
  for (const b of g.boxes) {
    // The stroke is drawn half outside the polygon: compare the polygon's centre line.
    expect(Math.abs((b.top + b.bottom) / 2 - (g.img.top + ((b.minY + b.maxY) / 2) * sy)), JSON.stringify(b)).toBeLessThan(1.5);
    expect(Math.abs(b.left - (g.img.left + b.minX * sx))).toBeLessThan(3);
  }
}

describe("what a newcomer meets in the dashboard", () => {
  it("says a refused job was never created, with the server's reason in tokens; choosing another file clears it", async () => {
    await page.goto(`${stack.url}/dashboard/playground`);
    // Too large even to convert (over 64 MP): refused before anything is held.
    const wide = await file(
      "wide.png",
      // Over the 64 MP the server converts (a 4 200 px image is scaled to fit now): refused.
      sharp({ create: { width: 9000, height: 8000, channels: 3, background: "white" } })
        .png()
        .toBuffer(),
    );
    await page.getByLabel("Image").setInputFiles(wide);
    await page.getByRole("button", { name: "Read the text" }).click();
    const problem = page.getByTestId("job-problem");
    await problem.waitFor();
    expect(await problem.getByRole("heading").innerText()).toBe("The job was not created");
    expect(await problem.innerText()).toMatch(/9000×8000 px, at most 64000000 pixels/);
    // No credits yet: the reason names the price in tokens, never in base units.
    await page.getByLabel("Image").setInputFiles(await file("one.png", renderTextPng(["ONE LINE"])));
    expect(await problem.count()).toBe(0);
    await page.getByRole("button", { name: "Read the text" }).click();
    await problem.waitFor();
    const text = await problem.innerText();
    expect(text).toContain("The job was not created");
    expect(text).toMatch(/this job costs [0-9.]+ tokens/);
    expect(text).not.toContain("base units");
    expect(text).not.toContain("did not finish");
    expect(await problem.getByRole("link", { name: /Open the job page/ }).count()).toBe(0);
    await checkAtBothWidths(page, { dir: SCREENSHOTS, name: "playground-refused" });
    // Another file: the stale message goes.
    await page.getByLabel("Image").setInputFiles(await file("two.png", renderTextPng(["TWO"])));
    expect(await problem.count()).toBe(0);
    const { grantCredits } = await import("../../apps/web/src/server/services/billing/grant-credits.ts");
    await grantCredits({ orgId, amount: 1_000_000_000n, idempotencyKey: "funds:pia-pixels", memo: "test credits" });
  });

  it("keeps a running job in the address: a reload picks it up and shows its result", async () => {
    // No worker yet: the job waits in the queue while the page reloads.
    await page.goto(`${stack.url}/dashboard/playground`);
    await page.getByLabel("Text", { exact: true }).fill("still here after a reload");
    await page.getByRole("button", { name: "Embed the text" }).click();
    await page.waitForURL(/[?&]embed=[0-9a-f-]{36}/);
    const id = new URL(page.url()).searchParams.get("embed");
    await page.getByText("Job queued…").waitFor();
    await page.reload();
    await page
      .getByText(/Picking up your job…|Job queued…/)
      .first()
      .waitFor();
    await stack.addWorker("polish", { INTRA_OP_THREADS: "1" });
    const result = page.getByTestId("embedding-result");
    await result.waitFor({ timeout: JOB_TIMEOUT_MS });
    expect(await result.innerText()).toContain("384");
    expect(await result.getByRole("link", { name: /Open the job page/ }).getAttribute("href")).toBe(`/dashboard/jobs/${id}`);
  });

  it("draws each OCR box on its own line of text, in the playground and on the job page", async () => {
    const lines = ["FIRST LINE OF TEXT", "SECOND LINE HERE", "THIRD LINE NOW", "FOURTH AND LAST"];
    await page.goto(`${stack.url}/dashboard/playground`);
    await page.getByLabel("Image").setInputFiles(await file("lines.png", renderTextPng(lines, { fontSize: 40, width: 700 })));
    await page.getByRole("button", { name: "Read the text" }).click();
    await page.getByTestId("ocr-lines").waitFor({ timeout: JOB_TIMEOUT_MS });
    await expectBoxesOnTheirText(page, lines.length);
    const href = (await page.getByRole("link", { name: /Open the job page/ }).getAttribute("href")) ?? "";
    await page.goto(`${stack.url}${href}`);
    await page.getByTestId("ocr-lines").waitFor();
    await expectBoxesOnTheirText(page, lines.length);
    // At phone width too (the image is scaled down).
    await page.setViewportSize({ width: 375, height: 812 });
    await expectBoxesOnTheirText(page, lines.length);
    await page.setViewportSize(DESKTOP);
    await checkAtBothWidths(page, { dir: SCREENSHOTS, name: "job-ocr-boxes", ready: (p) => p.getByTestId("ocr-lines").waitFor() });
  });

  it("accepts a 22.05 kHz WAV by resampling it in the browser, and finds the speech", async () => {
    const { wav, speech } = speechRecordingAt(22_050);
    await page.goto(`${stack.url}/dashboard/playground`);
    await page.getByLabel("Audio", { exact: true }).setInputFiles(await file("speech-22k.wav", wav));
    await page.getByRole("button", { name: "Find the speech" }).click();
    const result = page.getByTestId("vad-result");
    await result.waitFor({ timeout: JOB_TIMEOUT_MS });
    expect(await page.getByTestId("vad-resampled").innerText()).toBe("Resampled in your browser from 22,050 Hz mono to 16 kHz mono.");
    const found = await page.locator("[data-segment]").count();
    expect(found).toBeGreaterThanOrEqual(speech.length);
  });

  it("shows an embedding compactly, with the whole output to copy or download", async () => {
    const id = (
      await sql().$queryRaw<{ id: string }[]>`
        SELECT j.id FROM jobs j JOIN models m ON m.id = j.model_id WHERE j.org_id = ${orgId}::uuid AND m.slug = 'encoder-synthetic-minilm' LIMIT 1`
    )[0]?.id;
    await page.goto(`${stack.url}/dashboard/jobs/${id}`);
    expect(await page.getByTestId("embedding-summary").innerText()).toMatch(
      /^1 vector of 384 dimensions; the first has norm \(L2\) [0-9.]+\.$/,
    );
    // The 384 values are one wrapped paragraph in a box of its own, not 384 lines (9 820 px before).
    const height = (await page.evaluate("document.documentElement.scrollHeight")) as number;
    expect(height).toBeLessThan(3_000);
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Download output (JSON)" }).click(),
    ]);
    const output = JSON.parse(readFileSync((await download.path()) ?? "", "utf8")) as { dim: number; vectors: number[][] };
    expect(output.dim).toBe(384);
    expect(output.vectors[0]).toHaveLength(384);
    await checkAtBothWidths(page, { dir: SCREENSHOTS, name: "job-embedding" });
  });

  it("uses one word per verification state, the API's, on the jobs list and the job page", async () => {
    const rows = await sql().$queryRaw<{ id: string; verification: string }[]>`
      SELECT id, verification::text AS verification FROM jobs WHERE org_id = ${orgId}::uuid AND state = 'succeeded'`;
    expect(rows.length).toBeGreaterThan(0);
    await page.goto(`${stack.url}/dashboard/jobs`);
    for (const r of rows) {
      const word = r.verification.charAt(0).toUpperCase() + r.verification.slice(1);
      const cell = page.locator(`tr[data-job-id="${r.id}"] [data-label="Verification"]`);
      expect(await cell.innerText()).toBe(word);
    }
    const first = rows[0];
    await page.goto(`${stack.url}/dashboard/jobs/${first?.id}`);
    expect(await page.locator('[data-stat="verification"]').innerText()).toBe(
      (first?.verification.charAt(0).toUpperCase() ?? "") + (first?.verification.slice(1) ?? ""),
    );
    expect(await page.content()).not.toContain("Not sampled");
  });

  it("answers unknown API paths and methods with JSON errors, and has a favicon", async () => {
    const missing = await fetch(`${stack.url}/api/v1/jbos`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toContain("application/json");
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");
    const deep = await fetch(`${stack.url}/api/v1/jobs/00000000-0000-0000-0000-000000000000/nope`, { method: "POST" });
    expect(deep.status).toBe(404);
    expect(((await deep.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");
    const put = await fetch(`${stack.url}/api/v1/jobs`, { method: "PUT", body: "{}" });
    expect(put.status).toBe(405);
    expect(put.headers.get("allow")).toBe("GET, POST, HEAD, OPTIONS");
    expect(((await put.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: "METHOD_NOT_ALLOWED",
      message: "PUT is not allowed here: use GET or POST",
    });
    const get = await fetch(`${stack.url}/api/v1/quote`);
    expect(get.status).toBe(405);
    expect(((await get.json()) as { error: { code: string } }).error.code).toBe("METHOD_NOT_ALLOWED");
    const icon = await fetch(`${stack.url}/favicon.ico`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get("content-type")).toMatch(/icon/);
    await page.goto(stack.url);
    expect(await page.locator('link[rel="icon"]').count()).toBeGreaterThanOrEqual(1);
  });

  it("shows a signed-in person their account on public pages, not 'Sign in'", async () => {
    for (const path of ["/", "/explorer"]) {
      await page.goto(`${stack.url}${path}`);
      // The page's header comes with its data (streamed after the first bytes): wait for it.
      await page.getByRole("link", { name: "Your dashboard" }).waitFor();
      expect(await page.getByTestId("signed-in-as").innerText()).toBe(`Signed in as ${EMAIL}`);
      expect(await page.getByRole("link", { name: "Your dashboard" }).count()).toBe(1);
      expect(await page.getByRole("link", { name: "Sign in", exact: true }).count()).toBe(0);
    }
    const visitor = await browser.newPage({ viewport: DESKTOP });
    await visitor.goto(stack.url);
    expect(await visitor.getByRole("link", { name: "Sign in", exact: true }).count()).toBe(1);
    await visitor.close();
  });

  it("groups map markers that would overlap into one that names and counts them", async () => {
    // The polish worker is in `local` (the platform's Frankfurt); Amsterdam is 13 map units away.
    await stack.addWorker("amsterdam", { INTRA_OP_THREADS: "1" }, { region: "eu-amsterdam" });
    await page.goto(`${stack.url}/explorer`);
    const group = page.locator('[data-regions="eu-central eu-amsterdam"], [data-regions="eu-amsterdam eu-central"]');
    await group.waitFor({ timeout: 30_000 });
    expect(await group.getAttribute("aria-label")).toMatch(
      /^2 regions close together, 2 workers online: (Frankfurt|Amsterdam): 1 worker online/,
    );
    expect(await group.locator("text").last().textContent()).toMatch(/^(Frankfurt|Amsterdam) \+1$/);
    // No marker hides another: their circles do not intersect, at either width.
    for (const viewport of [DESKTOP, { width: 375, height: 812 }]) {
      await page.setViewportSize(viewport);
      const circles = (await page.evaluate(
        `[...document.querySelectorAll("[data-regions] circle")].map((c) => { const r = c.getBoundingClientRect(); return { x: r.left + r.width / 2, y: r.top + r.height / 2, r: r.width / 2 }; })`,
      )) as { x: number; y: number; r: number }[];
      for (let i = 0; i < circles.length; i++)
        for (let j = i + 1; j < circles.length; j++) {
          const a = circles[i];
          const b = circles[j];
          if (a && b) expect(Math.hypot(a.x - b.x, a.y - b.y)).toBeGreaterThanOrEqual(a.r + b.r);
        }
    }
    await page.setViewportSize(DESKTOP);
    await checkAtBothWidths(page, {
      dir: SCREENSHOTS,
      name: "explorer-grouped-markers",
      ready: () => group.waitFor().then(() => undefined),
    });
  });

  it("brings a person whose session expired back to the page they were on, and says why", async () => {
    await sql().$executeRaw`
      UPDATE auth_sessions SET expires_at = now() - interval '1 minute'
      WHERE user_id = (SELECT id FROM users WHERE email = ${EMAIL})`;
    await page.goto(`${stack.url}/dashboard/jobs?state=succeeded`);
    await page.waitForURL(`${stack.url}/signin?next=%2Fdashboard%2Fjobs%3Fstate%3Dsucceeded&reason=expired`);
    expect(await page.getByTestId("session-expired").innerText()).toContain("Your session expired, sign in again");
    await checkAtBothWidths(page, { dir: SCREENSHOTS, name: "signin-expired" });
    await page.getByLabel("Email").fill(EMAIL);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${stack.url}/dashboard/jobs?state=succeeded`);
    await page.getByRole("heading", { level: 1, name: "Jobs" }).waitFor();
  });

  it("shows a provider-only organisation its workers and earnings, not a customer's credits", async () => {
    const provider = await (await browser.newContext({ viewport: DESKTOP })).newPage();
    await signUpWithOrganisation(provider, stack.url, {
      name: "Gus",
      email: "gus@example.com",
      org: "Gus GPUs",
      kind: "Provide GPUs (provider)",
    });
    const main = provider.locator("main");
    expect(await main.innerText()).not.toContain("No credits yet");
    expect(await main.getByRole("link", { name: "Try a model in the playground" }).count()).toBe(0);
    expect(await provider.locator('[data-stat="workers-online"]').innerText()).toBe("0 of 0");
    expect(await provider.getByTestId("no-workers").getByRole("link", { name: "Add a worker" }).getAttribute("href")).toBe(
      "/dashboard/workers",
    );
    await checkAtBothWidths(provider, { dir: SCREENSHOTS, name: "overview-provider" });
    await provider.context().close();
  });
});
