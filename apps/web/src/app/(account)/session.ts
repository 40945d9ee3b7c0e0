import { cookies, headers } from "next/headers";
import { notFound, redirect } from "next/navigation";
import { createCaller } from "~/server/api/root";
import { createTRPCContext, sessionCallerFor } from "~/server/api/trpc";
import { PATH_HEADER } from "~/server/http/path-header";
import { safeNextPath } from "./next-path";

/**
 * To the sign-in page, and back here afterwards (`?next=`, the address src/proxy.ts passes
 * on). A session cookie that names no live session (expired, or signed out elsewhere by a
 * password reset) adds `reason=expired`, and the page says so.
 */
export async function redirectToSignIn(): Promise<never> {
  const next = safeNextPath((await headers()).get(PATH_HEADER) ?? undefined);
  const hadSession = (await cookies()).getAll().some((c) => c.name.endsWith("better-auth.session_token"));
  const query = new URLSearchParams();
  if (next) query.set("next", next);
  if (hadSession) query.set("reason", "expired");
  redirect(query.size > 0 ? `/signin?${query}` : "/signin");
}

/** The signed-in user, or null: for the sign-up and sign-in pages. */
export async function getSessionOrNull() {
  const ctx = await createTRPCContext({ headers: await headers() });
  return ctx.session;
}

/** For /onboarding: a signed-in user, organisation or not. */
export async function requireUser() {
  const ctx = await createTRPCContext({ headers: await headers() });
  if (!ctx.session) return redirectToSignIn();
  return ctx.session;
}

/**
 * Every dashboard page starts here: no session → /signin (and back after); no organisation → /onboarding.
 * `?org=<id>` shows another of the user's organisations; any other id is a 404, the same
 * answer as for an id that does not exist. Data is read through the tRPC procedures, so a
 * page can see no more than the procedures allow.
 */
export async function requireDashboard(orgParam?: string | string[]) {
  const ctx = await createTRPCContext({ headers: await headers() });
  const session = ctx.session;
  if (!session) return redirectToSignIn();
  if (!session.activeOrg) redirect("/onboarding");
  let org = session.activeOrg;
  if (typeof orgParam === "string" && orgParam !== org.orgId) {
    const other = session.memberships.find((m) => m.orgId === orgParam);
    if (!other) notFound();
    org = other;
  }
  const caller = createCaller({ ...ctx, caller: sessionCallerFor(session.user.id, org) });
  return { session, org, caller };
}
