import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "@proofgrid/db/sql-client";
import { COLOUR_LABELS, colourModel, externalDataModel, goodModel } from "@proofgrid/models/custom/testing/build-onnx";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support/stack.ts";
import { checkAtBothWidths, DESKTOP, launchChromium } from "./chromium.ts";
import { signUpWithOrganisation } from "./dashboard-user.ts";

// A startup brings its own model (issue 17) in a real browser: on the dashboard's Models page
// it uploads a small real ONNX model (built here with onnx-proto) over the resumable upload
// with its session, watches the progress bar finish and sees the model listed with its
// size, signature and cost; a file that is not ONNX and a model pointing at external data
// are refused with their reasons on the page; a public model shows on the public explorer
// and on another organisation's Models page; a model is deleted. An image classifier is
// uploaded with its processing (image in, named top classes out) and listed with it; a
// processing that does not fit its model is refused with the server's reason.

const SCREENSHOTS = join(import.meta.dirname, "../../docs/screenshots");
/** Validation runs the model twice in a sandboxed child process: seconds, not minutes. */
const REGISTER_TIMEOUT_MS = 60_000;

let stack: Stack;
let browser: Browser;
let page: Page;
let tmp: string;

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const good = goodModel(41);
const other = goodModel(42);
/** build-onnx's colourModel: pixel_values [batch, 3, 8, 8] → logits [batch, 3], the strongest colour wins. */
const colour = colourModel();
const misfit = goodModel(43);

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  tmp = mkdtempSync(join(tmpdir(), "dashboard-models-"));
  writeFileSync(join(tmp, "relu-add.onnx"), good);
  writeFileSync(join(tmp, "second.onnx"), other);
  writeFileSync(join(tmp, "notes.onnx"), "this is a text file, not an ONNX model\n".repeat(20));
  writeFileSync(join(tmp, "external.onnx"), externalDataModel());
  writeFileSync(join(tmp, "colour.onnx"), colour);
  writeFileSync(join(tmp, "misfit.onnx"), misfit);
  [stack, browser] = await Promise.all([startStack(), launchChromium()]);
  page = await (await browser.newContext({ viewport: DESKTOP })).newPage();
}, 240_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** Picks a file, names it, chooses its visibility (and with `choose`, its processing) and uploads it. */
async function upload(p: Page, file: string, name: string, visibility: "private" | "public", choose?: (p: Page) => Promise<void>) {
  await p.getByLabel("ONNX file").setInputFiles(join(tmp, file));
  await p.getByLabel("Name", { exact: true }).fill(name);
  await p.getByLabel("Visibility").selectOption(visibility);
  await choose?.(p);
  await p.getByRole("button", { name: "Upload and check" }).click();
}

const yourModels = (p: Page) => p.getByRole("table", { name: "Your organisation's models" });

/** Waits for the registration's answer on the page; a refusal fails the test with its reason. */
async function accepted(p: Page): Promise<string> {
  const ok = p.getByTestId("upload-accepted");
  const refused = p.getByTestId("upload-refused");
  await ok.or(refused).waitFor({ timeout: REGISTER_TIMEOUT_MS });
  if (await refused.isVisible()) throw new Error(`refused: ${await refused.innerText()}`);
  return ok.innerText();
}

describe("the dashboard's Models page", () => {
  it("uploads a real ONNX model with a progress bar and lists it with its size, signature and cost", async () => {
    await signUpWithOrganisation(page, stack.url, { name: "Mo", email: "mo@startup.example", org: "Mo Vision" });
    await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "Models" }).click();
    await page.waitForURL(`${stack.url}/dashboard/models`);
    await page.getByText("No models uploaded yet.").waitFor();

    await upload(page, "relu-add.onnx", "Relu adder", "public");
    const accepted = page.getByTestId("upload-accepted");
    await accepted.waitFor({ timeout: REGISTER_TIMEOUT_MS });
    expect(await accepted.innerText()).toContain("Model accepted");
    expect(await accepted.innerText()).toContain(sha256(good).slice(0, 12));
    // The bar ran to its end: every byte is on the server.
    const bar = page.getByRole("progressbar", { name: "Upload progress" });
    expect(await bar.getAttribute("value")).toBe(String(good.byteLength));
    expect(await bar.getAttribute("max")).toBe(String(good.byteLength));
    expect(await page.getByTestId("upload-progress").innerText()).toContain("(100 %)");

    const row = yourModels(page).locator(`tr[data-model-id="${sha256(good)}"]`);
    await row.waitFor();
    const text = await row.innerText();
    expect(text).toContain("Relu adder");
    expect(text).toContain(sha256(good).slice(0, 12));
    expect(text).toContain(`${good.byteLength} B`);
    expect(text).toContain("public");
    expect(text).toContain("x: float32[1×4]");
    expect(text).toContain("y: float32[1×4]");
    expect(text).toMatch(/\d+(\.\d+)? CU/);
    expect(text).toMatch(/tokens/);
    // Through the session: the upload belongs to Mo's organisation, with no API key behind it.
    const owned = await sql().$queryRaw<{ name: string; created_by_key_id: string | null }[]>`
      SELECT o.name, mo.created_by_key_id FROM custom_models mo JOIN organizations o ON o.id = mo.org_id
      WHERE mo.model_id = ${sha256(good)}`;
    expect(owned).toEqual([{ name: "Mo Vision", created_by_key_id: null }]);
  });

  it("refuses a file that is not ONNX, and a model reading external data, each with its reason on the page", async () => {
    await upload(page, "notes.onnx", "Not a model", "private");
    const refused = page.getByTestId("upload-refused");
    await refused.waitFor({ timeout: REGISTER_TIMEOUT_MS });
    expect(await refused.innerText()).toContain("The model was not accepted");
    expect(await refused.innerText()).toContain("the file is not an ONNX model");

    await upload(page, "external.onnx", "Sneaky", "private");
    await page.getByTestId("upload-refused").getByText("../../etc/passwd").waitFor({ timeout: REGISTER_TIMEOUT_MS });
    expect(await page.getByTestId("upload-refused").innerText()).toContain("refers to external data");
    await page.screenshot({ path: join(SCREENSHOTS, "models-refused-desktop.png"), fullPage: true });
    // Neither is listed, and the platform still takes a good one afterwards.
    await upload(page, "second.onnx", "Second", "private");
    await page.getByTestId("upload-accepted").waitFor({ timeout: REGISTER_TIMEOUT_MS });
    await yourModels(page)
      .locator(`tr[data-model-id="${sha256(other)}"]`)
      .waitFor();
    expect(await yourModels(page).locator("tbody tr").count()).toBe(2);
    await checkAtBothWidths(page, { dir: SCREENSHOTS, name: "models", url: `${stack.url}/dashboard/models` });
  });

  it("sets the public model's royalty from its row; the listing shows it, in the price", async () => {
    await page.goto(`${stack.url}/dashboard/models`);
    const row = yourModels(page).locator(`tr[data-model-id="${sha256(good)}"]`);
    await row.getByLabel("Royalty per job (tokens)").fill("-1");
    await row.getByRole("button", { name: "Save" }).click();
    await row.getByText("The royalty is a number of tokens").waitFor();
    await row.getByLabel("Royalty per job (tokens)").fill("0.002");
    await row.getByRole("button", { name: "Save" }).click();
    await row.getByText("Saved.").waitFor();
    const stored = await sql().$queryRaw<{ royalty: bigint }[]>`SELECT royalty FROM custom_models WHERE model_id = ${sha256(good)}`;
    expect(stored.map((r) => BigInt(r.royalty))).toEqual([2_000n]);
    await page.reload();
    expect(
      await yourModels(page)
        .locator(`tr[data-model-id="${sha256(good)}"]`)
        .innerText(),
    ).toMatch(/0\.002 tokens royalty/);
  });

  it("shows the public model on the explorer with its owner's signature, cost and price, and not the private one", async () => {
    await page.goto(`${stack.url}/explorer`);
    const card = page.locator(`[data-model-id="${sha256(good)}"]`);
    await card.waitFor();
    const text = await card.innerText();
    expect(text).toContain("Relu adder");
    expect(text).toContain("x: float32[1×4]");
    expect(text).toMatch(/\d+(\.\d+)? CU per run/);
    expect(text).toMatch(/tokens per job/);
    expect(text).toMatch(/royalty/);
    expect(await page.locator(`[data-model-id="${sha256(other)}"]`).count()).toBe(0);
  });

  it("lists the public model for another organisation, without its upload form's delete", async () => {
    const ctx = await browser.newContext({ viewport: DESKTOP });
    const p = await ctx.newPage();
    await signUpWithOrganisation(p, stack.url, { name: "Ola", email: "ola@other.example", org: "Ola Audio" });
    await p.goto(`${stack.url}/dashboard/models`);
    const table = p.getByRole("table", { name: "Public models of other organisations" });
    await table.locator(`tr[data-model-id="${sha256(good)}"]`).waitFor();
    expect(await table.locator(`tr[data-model-id="${sha256(other)}"]`).count()).toBe(0);
    expect(await p.getByRole("button", { name: "Delete Relu adder" }).count()).toBe(0);
    await ctx.close();
    // The dashboard's upload route takes a session or a key, nothing less.
    const anonymous = await fetch(`${stack.url}/dashboard/models/uploads`, {
      method: "POST",
      headers: { "tus-resumable": "1.0.0", "upload-length": "10" },
    });
    expect(anonymous.status).toBe(401);
  });

  it("deletes a model: it leaves the list and the explorer", async () => {
    await page.goto(`${stack.url}/dashboard/models`);
    await page.getByRole("button", { name: "Delete Relu adder" }).click();
    await page.getByRole("button", { name: "Yes, delete Relu adder" }).click();
    await yourModels(page)
      .locator(`tr[data-model-id="${sha256(good)}"]`)
      .waitFor({ state: "detached" });
    expect(await yourModels(page).locator("tbody tr").count()).toBe(1);
    await page.goto(`${stack.url}/explorer`);
    await page.getByText("No public uploaded models yet.").waitFor();
  });

  it("uploads an image classifier with image input and named top classes, and lists it with its processing", async () => {
    await page.goto(`${stack.url}/dashboard/models`);
    await upload(page, "colour.onnx", "Colour classifier", "private", async (p) => {
      // Its batch axis is dynamic: the form takes the largest size, as the API's dimBounds.
      await p.getByLabel("Largest size of each dynamic dimension (if the model has any)").fill("batch=1");
      await p.getByLabel("Input processing").selectOption({ label: "Image → normalised tensor" });
      await p.getByLabel("Mean per channel (optional)").fill("0.5, 0.5, 0.5");
      await p.getByLabel("Standard deviation per channel (optional)").fill("0.25,0.25,0.25");
      await p.getByLabel("Output processing").selectOption({ label: "Top classes with labels" });
      // Padded and with an empty line, as a pasted list often is: sent trimmed, the gap left out.
      await p.getByLabel("Class labels, one per line").fill(` ${COLOUR_LABELS[0]}\n\n${COLOUR_LABELS[1]}  \n${COLOUR_LABELS[2]}\n`);
    });
    expect(await accepted(page)).toContain(sha256(colour).slice(0, 12));

    const row = yourModels(page).locator(`tr[data-model-id="${sha256(colour)}"]`);
    await row.waitFor();
    const cell = row.locator("[data-processing]");
    expect(await cell.innerText()).toContain("Image → labels (3 classes)");
    expect(await cell.innerText()).toContain("mean 0.5, 0.5, 0.5; std 0.25, 0.25, 0.25");
    const stored = await sql().$queryRaw<{ preprocessing: string; postprocessing: string; processing_options: unknown }[]>`
      SELECT preprocessing::text, postprocessing::text, processing_options FROM custom_models WHERE model_id = ${sha256(colour)}`;
    expect(stored).toEqual([
      {
        preprocessing: "image",
        postprocessing: "labels",
        processing_options: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], labels: [...COLOUR_LABELS] },
      },
    ]);
  });

  it("refuses a processing that does not fit the model (text into a float input) with the server's reason", async () => {
    await page.goto(`${stack.url}/dashboard/models`);
    const before = await yourModels(page).locator("tbody tr").count();
    await upload(page, "misfit.onnx", "Misfit", "private", async (p) => {
      await p.getByLabel("Input processing").selectOption({ label: "Text → tokens" });
    });
    const refused = page.getByTestId("upload-refused");
    await refused.waitFor({ timeout: REGISTER_TIMEOUT_MS });
    const text = await refused.innerText();
    expect(text).toContain("The model was not accepted");
    expect(text).toContain("the processing does not fit the model: ");
    expect(text).toContain("int64 or int32 [1, tokens]; it is float32");
    await page.reload();
    await yourModels(page).waitFor();
    expect(
      await yourModels(page)
        .locator(`tr[data-model-id="${sha256(misfit)}"]`)
        .count(),
    ).toBe(0);
    expect(await yourModels(page).locator("tbody tr").count()).toBe(before);
  });
});
