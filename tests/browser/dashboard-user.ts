import type { Page } from "playwright-core";

// A signed-up dashboard user, for browser tests that need one (accounts.test.ts tests the
// sign-up form itself). The other browser tests still carry their own copies from before
// this helper; new tests take it from here.

export const PASSWORD = "correct horse battery staple";

/** Signs up through the pages and creates an organisation of the given kind; ends on /dashboard. */
export async function signUpWithOrganisation(
  p: Page,
  baseUrl: string,
  who: { name: string; email: string; org: string; kind?: RegExp | string },
): Promise<void> {
  await p.goto(`${baseUrl}/signup`);
  await p.getByLabel("Your name").fill(who.name);
  await p.getByLabel("Email").fill(who.email);
  await p.getByLabel("Password").fill(PASSWORD);
  await p.getByRole("button", { name: "Create account" }).click();
  await p.waitForURL(`${baseUrl}/onboarding`);
  await p.getByLabel("Organisation name").fill(who.org);
  await p.getByLabel(who.kind ?? "Run inference (customer)").check();
  await p.getByRole("button", { name: "Create organisation" }).click();
  await p.waitForURL(`${baseUrl}/dashboard`);
  await p.getByRole("heading", { level: 1, name: who.org }).waitFor();
}
