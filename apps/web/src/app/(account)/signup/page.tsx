import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { Main, SiteHeader } from "~/components/site/site-header";
import { Card } from "~/components/ui/card";
import { Lede, PageTitle } from "~/components/ui/typography";
import { AuthForm } from "../auth-form";
import { getSessionOrNull } from "../session";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Create an account · Proofgrid" };

export default async function SignUpPage() {
  if (await getSessionOrNull()) redirect("/dashboard");
  return (
    <>
      <SiteHeader />
      <Main narrow>
        <PageTitle>Create your account</PageTitle>
        <Lede>Run verified AI inference on independent GPUs, or earn by serving it.</Lede>
        <Card>
          <AuthForm mode="signup" />
        </Card>
        <p className="mt-6 text-sm">
          Already have an account? <a href="/signin">Sign in</a>
        </p>
      </Main>
    </>
  );
}
