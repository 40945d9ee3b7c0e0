import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Browser, BrowserContext, Page } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../../scripts/lib/processes.ts";
import { renderTextPng } from "../support/inputs.ts";
import { speechRecording } from "../support/speech.ts";
import { checkAtBothWidths, DESKTOP, launchChromium } from "./chromium.ts";
import { signUp, terminalMailbox } from "./dashboard-user.ts";
import { defaultPortsFree, NPM_START_LOG, type NpmStart, shellEnvironment, startNpmStart } from "./npm-start.ts";

// The newcomer's path, as a customer (issue 10): a fresh clone's `npm start`, run exactly as
// a person runs it (same command, same host binding, no test-only variable, port 3000,
// no .data/), then chromium at the URL it printed: sign up, sign out, sign in (also at
// 127.0.0.1), reset a forgotten password from the link in npm start's own output, create an
// organisation, grant it credits with the command the dashboard shows, make an API key, run
// a job in the playground and one over HTTP with that key, run the README's "Try it" block
// as written, and stop it all with Ctrl-C, leaving no process behind.

const execFileAsync = promisify(execFile);
const SCREENSHOTS = join(import.meta.dirname, "../../docs/screenshots");
const EMAIL = "newcomer@example.com";
const PASSWORD = "a newcomer's first passphrase";
const NEW_PASSWORD = "a newcomer's second passphrase";
const ORG = "Newcomer Labs";
/** First start: embedded Postgres, migrations, seed, web (build if needed), and the capability benchmarks of the local worker and checker. */
const START_TIMEOUT_MS = 540_000;

let npm: (NpmStart & { cleanUp(): void }) | undefined;
let browser: Browser;
let ctx: BrowserContext;
let page: Page;
let url: string;
let apiKey = "";

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  [npm, browser] = await Promise.all([startNpmStart({ timeoutMs: START_TIMEOUT_MS }), launchChromium()]);
  url = npm.url;
  ctx = await browser.newContext({ viewport: DESKTOP });
  page = await ctx.newPage();
}, START_TIMEOUT_MS + 60_000);
afterAll(async () => {
  await browser?.close();
  await npm?.stop();
  npm?.cleanUp();
}, 120_000);

/**
 * Submits the sign-in form; resolves with the alert it shows, or null once on the dashboard.
 * better-auth allows 3 sign-ins per 10 s from one address: told "Too many attempts", wait
 * and try again, as the message says (this test signs in from one address several times).
 */
async function submitSignIn(p: Page, base: string, password: string): Promise<string | null> {
  for (let attempt = 0; ; attempt++) {
    await p.goto(`${base}/signin`);
    await p.getByLabel("Email").fill(EMAIL);
    await p.getByLabel("Password").fill(password);
    await p.getByRole("button", { name: "Sign in" }).click();
    const alert = p.locator("#auth-error[role=alert]");
    const outcome = await Promise.race([p.waitForURL(`${base}/dashboard`).then(() => null), alert.waitFor().then(() => alert.innerText())]);
    if (outcome === null) return null;
    if (!outcome.startsWith("Too many attempts") || attempt >= 2) return outcome;
    await new Promise((r) => setTimeout(r, 11_000));
  }
}

async function signIn(p: Page, base: string, password: string): Promise<void> {
  expect(await submitSignIn(p, base, password)).toBeNull();
  await p.getByRole("heading", { level: 1, name: ORG }).waitFor();
}

async function signOut(p: Page, base: string): Promise<void> {
  await p.getByRole("button", { name: "Sign out" }).click();
  await p.waitForURL(`${base}/signin`);
  // Signed out for real: the dashboard sends us back to sign in.
  await p.goto(`${base}/dashboard`);
  await p.waitForURL((u) => u.pathname === "/signin");
}

describe("a newcomer's first hour as a customer, on npm start", () => {
  it("prints the URL to open, and the site answers there", async () => {
    expect(url).toBe("http://localhost:3000");
    await page.goto(url);
    await page.getByRole("heading", { level: 1, name: "Proofgrid" }).waitFor();
  });

  it("signs up at that URL with a session cookie that is not __Secure- on http, and creates an organisation", async () => {
    // The confirmation link is in npm start's own output (no SMTP configured), where the page says to look.
    await signUp(page, url, { name: "Nia Newcomer", email: EMAIL, password: PASSWORD }, terminalMailbox(npm));
    await page.waitForURL(`${url}/onboarding`);
    const session = (await ctx.cookies(url)).find((c) => c.name.includes("session_token"));
    expect(session?.name).toBe("better-auth.session_token");
    expect(session?.secure).toBe(false);
    await page.getByLabel("Organisation name").fill(ORG);
    await page.getByLabel("Run inference (customer)").check();
    await page.getByRole("button", { name: "Create organisation" }).click();
    await page.waitForURL(`${url}/dashboard`);
    await page.getByRole("heading", { level: 1, name: ORG }).waitFor();
  });

  it("signs out and signs in again, at localhost and at 127.0.0.1", async () => {
    await signOut(page, url);
    await signIn(page, url, PASSWORD);
    const other = await browser.newContext({ viewport: DESKTOP });
    const p = await other.newPage();
    const loopback = url.replace("localhost", "127.0.0.1");
    await signIn(p, loopback, PASSWORD);
    await signOut(p, loopback);
    await other.close();
  });

  it("refuses auth calls from another origin, another scheme of the same host included", async () => {
    // The case: a page at https://localhost must not pass for http://localhost:3000.
    const signInFrom = await fetch(`${url}/api/auth/sign-in/email`, {
      method: "POST",
      headers: { origin: "https://localhost", "content-type": "application/json" },
      body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
    });
    expect(signInFrom.status).toBe(403);
    // Cookie-bearing calls (sign-out here, which is not rate limited like sign-in) from other origins.
    for (const origin of ["https://localhost:3000", "http://localhost:8080", "http://0.0.0.0:3000", "http://evil.example"]) {
      const res = await fetch(`${url}/api/auth/sign-out`, {
        method: "POST",
        headers: { origin, "content-type": "application/json", cookie: "better-auth.session_token=anything" },
        body: "{}",
      });
      expect(res.status, origin).toBe(403);
      expect(((await res.json()) as { code?: string }).code, origin).toBe("INVALID_ORIGIN");
    }
  });

  it("resets a forgotten password with the link npm start prints (no SMTP configured)", async () => {
    await signOut(page, url);
    await page.getByRole("link", { name: "Forgot your password?" }).click();
    // The page says where the link goes on an installation without email.
    expect(await page.getByTestId("email-to-log").innerText()).toContain("npm start");
    await checkAtBothWidths(page, { dir: SCREENSHOTS, name: "forgot-password" });
    const before = npm?.output.length ?? 0;
    await page.getByLabel("Email").fill(EMAIL);
    await page.getByRole("button", { name: "Email me a link" }).click();
    await page.getByText(`If an account exists for ${EMAIL}`).waitFor();
    // What a person does: find the link in the terminal running npm start (the mail loop's log line).
    const line = await npm?.waitForOutput(/reset-password\?token=/, { from: before, timeoutMs: 30_000 });
    const link = /http:\/\/[^\s"\\]+\/reset-password\?token=[A-Za-z0-9_%-]+/.exec(line?.input ?? "")?.[0] ?? "";
    expect(link.startsWith(`${url}/reset-password?token=`), line?.input).toBe(true);
    await page.goto(link);
    await page.getByLabel("New password").fill(NEW_PASSWORD);
    await page.getByLabel("The same again").fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Save the new password" }).click();
    await page.getByText("Your password is changed.").waitFor();
    // The old password no longer works; the new one does.
    expect(await submitSignIn(page, url, PASSWORD)).toContain("The email or the password is wrong");
    await signIn(page, url, NEW_PASSWORD);
  });

  it("grants the organisation credits with the command its dashboard shows", async () => {
    const command = await page.getByTestId("grant-command").innerText();
    expect(command).toMatch(/^npm run admin -- grant --org \S+ --tokens 100 --key first-credits$/);
    await checkAtBothWidths(page, { dir: SCREENSHOTS, name: "dashboard-no-credits" });
    // Run as typed, from the checkout, in another terminal (the same plain shell environment).
    const [, ...args] = command.split(" ");
    await execFileAsync("npm", args, { cwd: ROOT, env: shellEnvironment() });
    await page.reload();
    expect(await page.locator('[data-stat="available"]').innerText()).toBe("100 tokens");
    expect(await page.getByTestId("no-credits").count()).toBe(0);
  });

  it("creates an API key whose default scopes read the balance, and runs a job with it over HTTP", async () => {
    await page.goto(`${url}/dashboard/keys`);
    await page.getByLabel("Name").fill("first key");
    await page.getByRole("button", { name: "Create key" }).click();
    apiKey = await page.getByLabel("Your new API key").inputValue();
    expect(apiKey).toMatch(/^pg_/);
    const auth = { authorization: `Bearer ${apiKey}`, "content-type": "application/json" };
    const balance = await fetch(`${url}/api/v1/balance`, { headers: auth });
    expect(balance.status).toBe(200);
    expect(((await balance.json()) as { available: string }).available).toBe("100000000");
    const submitted = await fetch(`${url}/api/v1/jobs`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ model: "encoder-synthetic-minilm", input: { text: "my first job" } }),
    });
    expect(submitted.status).toBe(201);
    const { id } = (await submitted.json()) as { id: string };
    const done = (await (await fetch(`${url}/api/v1/jobs/${id}?wait=60000`, { headers: auth })).json()) as {
      state: string;
      output: { dim: number };
    };
    expect(done.state, `${JSON.stringify(done).slice(0, 2_000)} (npm start's output: ${NPM_START_LOG})`).toBe("succeeded");
    expect(done.output.dim).toBe(384);
  });

  it("runs a job from the playground", async () => {
    await page.goto(`${url}/dashboard/playground`);
    await page.getByLabel("Text", { exact: true }).fill("hello from the playground");
    await page.getByRole("button", { name: "Embed the text" }).click();
    const result = page.getByTestId("embedding-result");
    await result.waitFor({ timeout: 90_000 });
    expect(await result.innerText()).toContain("384");
  });

  it("runs the README's Try it block as written, with files over the old ~96 KB limit", async () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Try it"));
    const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
    expect(block).toContain("KEY=$(cat .data/demo-api-key)");
    // A person's files: a page of text with a noisy scan-like band (a ~300 KB PNG) and speech.
    const dir = mkdtempSync(join(tmpdir(), "proofgrid-readme-"));
    try {
      const text = await renderTextPng(["PROOFGRID README", "EVERY FILE SIZE"], { width: 900 });
      const noise = Buffer.alloc(900 * 120 * 3);
      for (let i = 0; i < noise.length; i++) noise[i] = 200 + Math.floor(Math.random() * 55);
      const band = await sharp(noise, { raw: { width: 900, height: 120, channels: 3 } })
        .png()
        .toBuffer();
      const meta = await sharp(text).metadata();
      const png = await sharp({ create: { width: 900, height: (meta.height ?? 0) + 120, channels: 3, background: "white" } })
        .composite([
          { input: text, top: 0, left: 0 },
          { input: band, top: meta.height ?? 0, left: 0 },
        ])
        .png()
        .toBuffer();
      expect(png.length).toBeGreaterThan(150_000);
      writeFileSync(join(dir, "page.png"), png);
      const { wav } = speechRecording();
      expect(wav.length).toBeGreaterThan(150_000);
      writeFileSync(join(dir, "speech.wav"), wav);
      // The block reads .data/ of the checkout it is run in.
      symlinkSync(join(ROOT, ".data"), join(dir, ".data"));
      // Each curl reports its HTTP status on stderr; the block itself runs unchanged.
      const prelude = `curl() { command curl --write-out '%{stderr}HTTP %{http_code} %{method} %{url_effective}\\n' "$@"; }\n`;
      const { stdout, stderr } = await execFileAsync("bash", ["-euo", "pipefail", "-c", prelude + block], {
        cwd: dir,
        env: shellEnvironment(),
        maxBuffer: 64 * 1024 * 1024,
        timeout: 240_000,
      });
      const calls = [...stderr.matchAll(/^HTTP (\d{3}) (\S+) (\S+)$/gm)].map((m) => ({ status: Number(m[1]), method: m[2], url: m[3] }));
      // Twelve calls: models, a submit and its wait, a synchronous submit, quote, the OCR's
      // submit and wait, the VAD's submit, a multipart submit, balance, usage CSV, cancel (the
      // metrics scrape left the block: /api/metrics is the operator's, behind METRICS_TOKEN).
      expect(calls.length, stderr).toBeGreaterThanOrEqual(12);
      for (const c of calls) {
        // Cancelling a job that already finished is a 409, as the README says.
        if (c.method === "DELETE") expect([200, 409], `${c.method} ${c.url}`).toContain(c.status);
        else expect(c.status, `${c.method} ${c.url}: ${stdout.slice(-2_000)}`).toBeLessThan(300);
      }
      // The three waits returned finished jobs: the encoder's, the synchronous submit's and the OCR's.
      expect(stdout.match(/"state":"succeeded"/g)?.length ?? 0).toBeGreaterThanOrEqual(3);
      expect(stdout).toContain("PROOFGRID");
      expect(readFileSync(join(dir, "usage.csv"), "utf8").split("\n")[0]).toContain("charged_tokens");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("stops on Ctrl-C and leaves no process behind", async () => {
    const stopped = await npm?.stop();
    // npm itself dies of the SIGINT, as it does in a terminal (the shell shows 130)...
    expect(stopped?.code === 0 || stopped?.signal === "SIGINT", JSON.stringify(stopped)).toBe(true);
    // ...and the stack, in its own process group, stops in order and says so.
    expect(
      npm?.output.some((l) => l.includes("[proofgrid] stopped")),
      npm?.output.slice(-30).join("\n"),
    ).toBe(true);
    expect(stopped?.left).toEqual([]);
    expect(await defaultPortsFree()).toBe(true);
  });
});
