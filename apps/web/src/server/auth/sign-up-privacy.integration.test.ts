import { describe, expect, it } from "vitest";
import { confirmationLink, TEST_HOST } from "../api/test-callers.ts";
import { emailsTo } from "../services/mail/outbox.ts";
import { setupServiceDatabase } from "../testing/service-database.ts";
import { handleAuthRequest } from "./throttled-auth-handler.ts";

// Issue 11, finding 8: sign-up told who has an account (422 USER_ALREADY_EXISTS) while
// sign-in and password reset did not. Now a sign-up is answered the same whether or not the
// address has an account; the address's owner is emailed instead, and a new account signs
// in only from the link emailed to it. Driven through the route's handler, as the sign-up
// page's request reaches it.

const SITE = `http://${TEST_HOST}`;

setupServiceDatabase({ name: "sign-up-privacy", env: { PORT: TEST_HOST.split(":")[1] as string } });

function post(path: string, body: Record<string, string>): Promise<Response> {
  return handleAuthRequest(
    new Request(`${SITE}/api/auth${path}`, {
      method: "POST",
      headers: { host: TEST_HOST, origin: SITE, "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
  );
}
const signUp = (email: string, password: string, name = "Somebody") =>
  post("/sign-up/email", { email, password, name, callbackURL: "/signin?next=%2Fonboarding" });
const signIn = (email: string, password: string) => post("/sign-in/email", { email, password, callbackURL: "/signin?next=%2Fdashboard" });
const sessionCookie = (res: Response) => res.headers.getSetCookie().find((c) => c.includes("session_token="));
const kinds = async (email: string) => (await emailsTo(email)).map((m) => m.kind);

/** What an onlooker can compare between two answers: status, headers that matter, body shape. */
async function observable(res: Response) {
  const body = (await res.json()) as { token: unknown; user: Record<string, unknown> };
  return {
    status: res.status,
    session: sessionCookie(res) ?? null,
    token: body.token,
    userKeys: Object.keys(body.user).sort(),
    user: { ...body.user, id: typeof body.user.id, createdAt: typeof body.user.createdAt, updatedAt: typeof body.user.updatedAt },
  };
}

describe("sign-up does not tell who has an account", () => {
  it("answers an address with an account exactly as a new one, and emails its owner instead", async () => {
    const fresh = await observable(await signUp("nova@example.com", "first passphrase 1", "Nova"));
    // Nova confirms her address: a real, confirmed account.
    const opened = await handleAuthRequest(new Request(await confirmationLink("nova@example.com"), { headers: { host: TEST_HOST } }));
    expect(opened.status).toBe(302);
    expect(opened.headers.get("location")).toBe("/signin?next=%2Fonboarding");
    expect(sessionCookie(opened)).toBeDefined();

    // Someone else tries her address, and a brand-new one, with the same name.
    const taken = await observable(await signUp("nova@example.com", "attacker passphrase 2", "Nova"));
    const unknown = await observable(await signUp("vega@example.com", "attacker passphrase 2", "Nova"));
    expect(fresh.status).toBe(200);
    expect(fresh.session).toBeNull();
    expect(taken).toEqual({ ...unknown, user: { ...unknown.user, email: "nova@example.com" } });

    // Nova hears of it; the attempt changed nothing: her password still works, the other does not.
    expect(await kinds("nova@example.com")).toEqual(["account_exists", "email_verification"]);
    const notice = (await emailsTo("nova@example.com"))[0];
    expect(notice?.body_text).toContain(`${SITE}/forgot-password`);
    expect((await signIn("nova@example.com", "attacker passphrase 2")).status).toBe(401);
    expect((await signIn("nova@example.com", "first passphrase 1")).status).toBe(200);
  });

  it("an unconfirmed account signs in only from its link: sign-in and a second sign-up send a fresh one", async () => {
    const first = await signUp("orion@example.com", "orion passphrase 1");
    expect(first.status).toBe(200);
    expect(sessionCookie(first)).toBeUndefined();
    expect(await kinds("orion@example.com")).toEqual(["email_verification"]);

    // The right password is not enough yet; it sends a new link. A wrong one is a plain 401.
    const early = await signIn("orion@example.com", "orion passphrase 1");
    expect(early.status).toBe(403);
    expect(((await early.json()) as { code: string }).code).toBe("EMAIL_NOT_VERIFIED");
    expect(sessionCookie(early)).toBeUndefined();
    expect((await signIn("orion@example.com", "wrong passphrase 9")).status).toBe(401);
    // Signing up again (the first email lost) sends another link, not the "account exists" note.
    expect((await signUp("orion@example.com", "orion passphrase 1")).status).toBe(200);
    expect(await kinds("orion@example.com")).toEqual(["email_verification", "email_verification", "email_verification"]);

    // The link signs in once; opened again, it confirms nothing new and makes no session.
    const link = await confirmationLink("orion@example.com");
    expect(new URL(link).origin).toBe(SITE);
    const opened = await handleAuthRequest(new Request(link, { headers: { host: TEST_HOST } }));
    expect(sessionCookie(opened)).toBeDefined();
    const again = await handleAuthRequest(new Request(link, { headers: { host: TEST_HOST } }));
    expect(again.status).toBe(302);
    expect(sessionCookie(again)).toBeUndefined();
    expect((await signIn("orion@example.com", "orion passphrase 1")).status).toBe(200);
  });

  it("a forged or altered link is refused and lands on the sign-in page with the reason", async () => {
    await signUp("lyra@example.com", "lyra passphrase 1");
    const link = new URL(await confirmationLink("lyra@example.com"));
    const token = link.searchParams.get("token") ?? "";
    link.searchParams.set("token", `${token.slice(0, -4)}AAAA`);
    const res = await handleAuthRequest(new Request(link, { headers: { host: TEST_HOST } }));
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/signin?next=%2Fonboarding&error=INVALID_TOKEN");
    expect(sessionCookie(res)).toBeUndefined();
    expect((await signIn("lyra@example.com", "lyra passphrase 1")).status).toBe(403);
  });
});
