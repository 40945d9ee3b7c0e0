// For integration tests: users signed up through better-auth, and tRPC callers that carry
// their session cookie (or an API key) exactly as a browser's request would.
import { TRPCError } from "@trpc/server";
import { expect } from "vitest";
import { getAuth } from "../auth/better-auth.ts";
import { createCaller } from "./root.ts";
import { createTRPCContext } from "./trpc.ts";

export const TEST_HOST = "127.0.0.1:3999";

/** Signs a user up through better-auth and returns the Cookie header its response set. */
export async function signUp(email: string): Promise<string> {
  const res = await getAuth().api.signUpEmail({
    body: { email, password: "correct horse battery", name: email.split("@")[0] ?? "user" },
    headers: new Headers({ host: TEST_HOST }),
    asResponse: true,
  });
  expect(res.status).toBe(200);
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
