import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { Main, SiteHeader } from "~/components/site/site-header";
import { Card } from "~/components/ui/card";
import { Lede, PageTitle } from "~/components/ui/typography";
import { AuthForm } from "../auth-form";
import { getSessionOrNull } from "../session";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Sign in · Proofgrid" };

export default async function SignInPage() {
  if (await getSessionOrNull()) redirect("/dashboard");
  return (
    <>
      <SiteHeader />
      <Main narrow>
        <PageTitle>Sign in</PageTitle>
        <Lede>Your dashboard, API keys and jobs.</Lede>
        <Card>
          <AuthForm mode="signin" />
        </Card>
        <p className="mt-6 text-sm">
          New to Proofgrid? <a href="/signup">Create an account</a>
        </p>
      </Main>
    </>
  );
}
