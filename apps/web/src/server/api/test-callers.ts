// For integration tests: users signed up through better-auth, and tRPC callers that carry
// their session cookie (or an API key) exactly as a browser's request would.
import { TRPCError } from "@trpc/server";
import { expect } from "vitest";
import { getAuth } from "../auth/better-auth.ts";
import { emailsTo } from "../services/mail/outbox.ts";
import { createCaller } from "./root.ts";
import { createTRPCContext } from "./trpc.ts";

export const TEST_HOST = "127.0.0.1:3999";

/**
 * Signs a user up through better-auth, as the sign-up page does, then opens the link emailed
 * to them (from the outbox) as their browser would; returns the Cookie header that link set.
 */
export async function signUp(email: string, host = TEST_HOST): Promise<string> {
  const res = await getAuth().handler(
    new Request(`http://${host}/api/auth/sign-up/email`, {
      method: "POST",
      headers: { host, "content-type": "application/json" },
      body: JSON.stringify({
        email,
        password: "correct horse battery",
        name: email.split("@")[0] ?? "user",
        callbackURL: "/signin?next=%2Fonboarding",
      }),
    }),
  );
  expect(res.status).toBe(200);
  // No session before the address is confirmed.
  expect(res.headers.getSetCookie().some((c) => c.includes("session_token="))).toBe(false);
  return openConfirmationLink(email, host);
}

/** The newest confirmation link emailed to `email` (the outbox, where the coordinator sends from). */
export async function confirmationLink(email: string): Promise<string> {
  const mail = (await emailsTo(email)).find((m) => m.kind === "email_verification");
  const link = /https?:\/\/\S+\/api\/auth\/verify-email\?\S+/.exec(mail?.body_text ?? "")?.[0];
  if (!link) throw new Error(`no confirmation link emailed to ${email}`);
  return link;
}

/** Opens the emailed confirmation link: the session cookie it sets, as a Cookie header. */
export async function openConfirmationLink(email: string, host = TEST_HOST): Promise<string> {
  const res = await getAuth().handler(new Request(await confirmationLink(email), { headers: { host } }));
  expect(res.status).toBe(302);
  const cookies = res.headers.getSetCookie().map((c) => c.split(";")[0]);
  expect(cookies.some((c) => c?.startsWith("better-auth.session_token="))).toBe(true);
  return cookies.join("; ");
}

/** A caller with this cookie (or none) and any extra headers, e.g. an API key's Authorization. */
export async function as(cookie: string | null, extra: Record<string, string> = {}) {
  const headers = new Headers({ host: TEST_HOST, ...extra });
  if (cookie) headers.set("cookie", cookie);
  return createCaller(await createTRPCContext({ headers }));
}

/** The tRPC error code a call fails with (the test fails if it succeeds). */
export async function code(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TRPCError);
  return (err as TRPCError).code;
}
