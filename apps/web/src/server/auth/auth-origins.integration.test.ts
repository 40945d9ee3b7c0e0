import { describe, expect, it } from "vitest";
import { confirmationLink } from "../api/test-callers.ts";
import { setupServiceDatabase } from "../testing/service-database.ts";
import { getAuth } from "./better-auth.ts";

// better-auth's origin check and cookie, as a deployment on a public https address sees
// them (PROOFGRID_URL set): only that origin may sign in, and the session cookie is
// `__Secure-` with the Secure flag. The plain-http side (`npm start`, no PROOFGRID_URL) is
// driven in chromium by tests/browser/newcomer-customer.test.ts.

const SITE = "https://app.proofgrid.example";
let n = 0;

setupServiceDatabase({ name: "auth-origins", env: { PROOFGRID_URL: SITE, PORT: "3000" } });

/** A browser's sign-up POST from a page of `origin`, through the route's handler. */
function signUpFrom(origin: string, extra: Record<string, string> = {}): Promise<Response> {
  n++;
  return getAuth().handler(
    new Request(`${SITE}/api/auth/sign-up/email`, {
      method: "POST",
      headers: { origin, "content-type": "application/json", "sec-fetch-site": "same-origin", "sec-fetch-mode": "cors", ...extra },
      body: JSON.stringify({ email: `user${n}@example.com`, password: "correct horse battery", name: `User ${n}` }),
    }),
  );
}

describe("auth behind PROOFGRID_URL (https)", () => {
  it("signs up from the site's own origin; the emailed link, on that origin, sets a __Secure-, Secure session cookie", async () => {
    const res = await signUpFrom(SITE);
    expect(res.status).toBe(200);
    const link = await confirmationLink(`user${n}@example.com`);
    expect(link.startsWith(`${SITE}/api/auth/verify-email?token=`), link).toBe(true);
    const opened = await getAuth().handler(new Request(link));
    const session = opened.headers.getSetCookie().find((c) => c.includes("session_token="));
    expect(session).toMatch(/^__Secure-better-auth\.session_token=/);
    expect(session).toMatch(/; Secure/i);
  });

  it("refuses every other origin, loopback, another scheme or a forwarded host included", async () => {
    for (const origin of [
      "http://localhost:3000",
      "http://app.proofgrid.example",
      "https://app.proofgrid.example:8443",
      "https://evil.example",
    ]) {
      const res = await signUpFrom(origin);
      expect(res.status, origin).toBe(403);
      expect(((await res.json()) as { code?: string }).code, origin).toBe("INVALID_ORIGIN");
    }
    const forwarded = await signUpFrom("https://evil.example", { "x-forwarded-host": "evil.example", "x-forwarded-proto": "https" });
    expect(forwarded.status).toBe(403);
  });
});
