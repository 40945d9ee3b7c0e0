import type { Metadata } from "next";
import { headers } from "next/headers";
import { Main, SiteHeader } from "~/components/site/site-header";
import { Alert } from "~/components/ui/alert";
import { buttonClasses } from "~/components/ui/button";
import { Card } from "~/components/ui/card";
import { Lede, PageTitle } from "~/components/ui/typography";
import { createCaller } from "~/server/api/root";
import { createTRPCContext } from "~/server/api/trpc";
import { SignOutButton } from "../../sign-out-button";
import { AcceptInvitationForm } from "./accept-form";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Invitation · Proofgrid", robots: { index: false } };

/** An invitation link: what it offers, then sign in (or up) with the invited address and accept. */
export default async function InvitationPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const ctx = await createTRPCContext({ headers: await headers() });
  const invitation = await createCaller(ctx)
    .members.describeInvitation({ token })
    .catch(() => ({ usable: false as const, reason: "This invitation link is not valid. Ask the organisation's owner for a new one." }));
  const here = `/invite/${encodeURIComponent(token)}`;
  const user = ctx.session?.user ?? null;
  return (
    <>
      <SiteHeader />
      <Main narrow>
        <PageTitle>Invitation</PageTitle>
        {!invitation.usable ? (
          <Alert tone="warning">
            {invitation.reason} <a href={user ? "/dashboard" : "/signin"}>{user ? "Go to your dashboard" : "Sign in"}</a>
          </Alert>
        ) : (
          <>
            <Lede>
              You are invited to join <strong>{invitation.orgName}</strong> as {invitation.role === "owner" ? "an owner" : "a member"}.
            </Lede>
            <Card className="grid gap-4">
              {!user ? (
                <>
                  <p className="m-0">
                    Sign in, or create an account, with <strong>{invitation.email}</strong> to accept.
                  </p>
                  <div className="flex flex-wrap gap-3">
                    <a className={buttonClasses()} href={`/signup?next=${encodeURIComponent(here)}`}>
                      Create an account
                    </a>
                    <a className={buttonClasses({ variant: "secondary" })} href={`/signin?next=${encodeURIComponent(here)}`}>
                      Sign in
                    </a>
                  </div>
                </>
              ) : user.email.toLowerCase() !== invitation.email ? (
                <>
                  <Alert tone="warning">
                    This invitation is for {invitation.email}, and you are signed in as {user.email}. Sign out, then sign in with{" "}
                    {invitation.email}.
                  </Alert>
                  <div>
                    <SignOutButton to={`/signin?next=${encodeURIComponent(here)}`} />
                  </div>
                </>
              ) : (
                <AcceptInvitationForm token={token} orgName={invitation.orgName} />
              )}
            </Card>
          </>
        )}
      </Main>
    </>
  );
}
