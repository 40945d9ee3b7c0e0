import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { Main, SiteHeader } from "~/components/site/site-header";
import { Alert } from "~/components/ui/alert";
import { Card } from "~/components/ui/card";
import { Lede, PageTitle } from "~/components/ui/typography";
import { emailGoesToLog } from "~/server/services/mail/outbox";
import { AuthForm } from "../auth-form";
import { safeNextPath } from "../next-path";
import { getSessionOrNull } from "../session";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Sign in · Proofgrid" };

/** What went wrong with a confirmation link, and what to do. */
const LINK_ERRORS: Record<string, string> = {
  TOKEN_EXPIRED: "That confirmation link has expired. Sign in with your password and we will send a new one.",
  INVALID_TOKEN: "That confirmation link is not valid. Sign in with your password and we will send a new one.",
  USER_NOT_FOUND: "That confirmation link is for an account that no longer exists. Create an account again.",
};

export default async function SignInPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const next = safeNextPath(params.next);
  if (await getSessionOrNull()) redirect(next ?? "/dashboard");
  const expired = params.reason === "expired";
  // The emailed confirmation link lands here; better-auth adds ?error= when it failed.
  const linkError = typeof params.error === "string" ? (LINK_ERRORS[params.error] ?? LINK_ERRORS.INVALID_TOKEN) : null;
  return (
    <>
      <SiteHeader />
      <Main narrow>
        <PageTitle>Sign in</PageTitle>
        <Lede>Your dashboard, API keys and jobs.</Lede>
        {expired ? (
          // A status, not an alert: nothing failed on this page; it says why the person is here.
          <Alert tone="warning" role="status" className="mb-4" data-testid="session-expired">
            Your session expired, sign in again{next ? ": you will be taken back to the page you were on." : "."}
          </Alert>
        ) : null}
        {linkError ? (
          <Alert tone="warning" role="status" className="mb-4" data-testid="link-error">
            {linkError}
          </Alert>
        ) : null}
        <Card>
          <AuthForm mode="signin" next={next} mailToLog={emailGoesToLog()} />
        </Card>
        <p className="mt-4 text-sm">
          <a href="/forgot-password">Forgot your password?</a>
        </p>
        <p className="mt-2 text-sm">
          New to Proofgrid? <a href={next ? `/signup?next=${encodeURIComponent(next)}` : "/signup"}>Create an account</a>
        </p>
      </Main>
    </>
  );
}
