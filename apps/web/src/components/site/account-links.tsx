import { headers } from "next/headers";
import { isCrossSite } from "~/server/request-origin";
import { resolveSession } from "~/server/services/accounts/resolve-session";
import { buttonClasses } from "../ui/button";

/**
 * The top right of a public page: a signed-in person sees who they are and the way to their
 * dashboard, not "Sign in". A server component (it reads the session cookie), so pages pass
 * it to SiteHeader, which client pages (error.tsx) import too.
 */
export async function AccountLinks({ signUp = true }: { signUp?: boolean }) {
  const h = await headers();
  const session = isCrossSite(h) ? null : await resolveSession({ headers: h }).catch(() => null);
  if (session) {
    return (
      <>
        <span className="max-w-[14rem] truncate text-muted max-sm:sr-only" data-testid="signed-in-as">
          Signed in as {session.user.email}
        </span>
        <a href="/dashboard" className={buttonClasses({ size: "sm" })}>
          Your dashboard
        </a>
      </>
    );
  }
  return (
    <>
      <a href="/signin" className="text-muted no-underline hover:text-ink">
        Sign in
      </a>
      {signUp ? (
        <a href="/signup" className={buttonClasses({ size: "sm" })}>
          Sign up
        </a>
      ) : null}
    </>
  );
}
