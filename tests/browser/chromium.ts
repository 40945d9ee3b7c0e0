import { createRequire } from "node:module";
import { type Browser, chromium, type Page } from "playwright-core";

/**
 * Debian's chromium (`.ci/run` installs it), never a downloaded build. The flags are the
 * ones that work as root on these machines (docs: platform-notes). Playwright gives every
 * launch a fresh profile directory of its own (it refuses `--user-data-dir` in `args`).
 */
export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    timeout: 60_000,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      ...extraArgs,
    ],
  });
}

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 375, height: 812 };

export interface AxeViolation {
  id: string;
  impact: "minor" | "moderate" | "serious" | "critical" | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

const AXE_SOURCE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

/** Runs axe-core (WCAG 2.x A/AA rules and best practices) on the page; returns the serious and critical violations. */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ path: AXE_SOURCE });
  // A string, not a function: the test tsconfig has no DOM types.
  const violations = (await page.evaluate(
    "axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations)",
  )) as AxeViolation[];
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical");
}

/** One line per violation, for an assertion message a developer can act on. */
export function describeViolations(violations: readonly AxeViolation[]): string {
  return violations.map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`).join("\n");
}

/** Fails with each serious or critical axe violation, one per line. */
export async function expectAccessible(page: Page, label: string): Promise<void> {
  const violations = await seriousAxeViolations(page);
  if (violations.length > 0) throw new Error(`${label}: axe found serious or critical violations:\n${describeViolations(violations)}`);
}

/**
 * The page at desktop then phone width: axe, nothing scrolling sideways on the phone, and a
 * full-page screenshot `docs/screenshots/<name>-<desktop|phone>.png`. `url` reloads it at
 * each width (omit it to keep the page as it is); `ready` waits for what must be on it.
 */
export async function checkAtBothWidths(
  page: Page,
  opts: { dir: string; name: string; url?: string; ready?: (p: Page) => Promise<void> },
): Promise<void> {
  for (const [size, viewport] of [
    ["desktop", DESKTOP],
    ["phone", PHONE],
  ] as const) {
    await page.setViewportSize(viewport);
    if (opts.url) await page.goto(opts.url);
    await page.getByRole("heading", { level: 1 }).waitFor();
    await opts.ready?.(page);
    await expectAccessible(page, `${opts.name} at ${viewport.width}px`);
    const width = (await page.evaluate("document.documentElement.scrollWidth")) as number;
    if (width > viewport.width) throw new Error(`${opts.name} at ${viewport.width}px scrolls sideways (${width}px wide)`);
    await page.screenshot({ path: `${opts.dir}/${opts.name}-${size}.png`, fullPage: true });
  }
  await page.setViewportSize(DESKTOP);
}
