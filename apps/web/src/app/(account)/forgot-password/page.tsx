import type { Metadata } from "next";
import { Main, SiteHeader } from "~/components/site/site-header";
import { Card } from "~/components/ui/card";
import { Lede, PageTitle } from "~/components/ui/typography";
import { PasswordForm } from "../password-form";

export const metadata: Metadata = { title: "Forgot your password · Proofgrid" };

export default function ForgotPasswordPage() {
  return (
    <>
      <SiteHeader />
      <Main narrow>
        <PageTitle>Forgot your password?</PageTitle>
        <Lede>We email you a link to choose a new one. It works once, for an hour.</Lede>
        <Card>
          <PasswordForm mode="request" />
        </Card>
        <p className="mt-6 text-sm">
          Remembered it? <a href="/signin">Sign in</a>
        </p>
      </Main>
    </>
  );
}
