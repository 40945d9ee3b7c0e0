import type { Metadata } from "next";
import { AccountLinks } from "~/components/site/account-links";
import { Main, SiteHeader } from "~/components/site/site-header";
import { Alert } from "~/components/ui/alert";
import { Card } from "~/components/ui/card";
import { Lede, PageTitle } from "~/components/ui/typography";
import { PasswordForm } from "../password-form";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Choose a new password · Proofgrid", robots: { index: false } };

export default async function ResetPasswordPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { token } = await searchParams;
  return (
    <>
      <SiteHeader nav={<AccountLinks />} />
      <Main narrow>
        <PageTitle>Choose a new password</PageTitle>
        {typeof token === "string" && /^[A-Za-z0-9_-]{8,200}$/.test(token) ? (
          <>
            <Lede>Every other session of your account is signed out when you save it.</Lede>
            <Card>
              <PasswordForm mode="reset" token={token} />
            </Card>
          </>
        ) : (
          <Alert tone="warning">
            This page needs the link from the email we sent. <a href="/forgot-password">Ask for a new link</a>
          </Alert>
        )}
      </Main>
    </>
  );
}
