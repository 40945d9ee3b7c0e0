import type { Metadata } from "next";
import { AccountLinks } from "~/components/site/account-links";
import { Main, SiteHeader } from "~/components/site/site-header";
import { Card } from "~/components/ui/card";
import { Lede, Muted, PageTitle } from "~/components/ui/typography";
import { emailGoesToLog } from "~/server/services/mail/outbox";
import { PasswordForm } from "../password-form";

// Read at request time: whether this installation sends email is its environment's, not the build's.
export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Forgot your password · Proofgrid" };

export default function ForgotPasswordPage() {
  return (
    <>
      <SiteHeader nav={<AccountLinks />} />
      <Main narrow>
        <PageTitle>Forgot your password?</PageTitle>
        <Lede>We email you a link to choose a new one. It works once, for an hour.</Lede>
        <Card>
          <PasswordForm mode="request" />
        </Card>
        {emailGoesToLog() ? (
          // Said to everyone, whatever the address: it is about the installation, not an account.
          <Muted className="mt-4" data-testid="email-to-log">
            This installation has no email server (SMTP_URL is not set): the link is written to the server&apos;s log instead — with{" "}
            <code>npm start</code>, the terminal it runs in.
          </Muted>
        ) : null}
        <p className="mt-6 text-sm">
          Remembered it? <a href="/signin">Sign in</a>
        </p>
      </Main>
    </>
  );
}
