import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { Main, SiteHeader } from "~/components/site/site-header";
import { Card } from "~/components/ui/card";
import { Lede, PageTitle } from "~/components/ui/typography";
import { AuthForm } from "../auth-form";
import { safeNextPath } from "../next-path";
import { getSessionOrNull } from "../session";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Sign in · Proofgrid" };

export default async function SignInPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const next = safeNextPath((await searchParams).next);
  if (await getSessionOrNull()) redirect(next ?? "/dashboard");
  return (
    <>
      <SiteHeader />
      <Main narrow>
        <PageTitle>Sign in</PageTitle>
        <Lede>Your dashboard, API keys and jobs.</Lede>
        <Card>
          <AuthForm mode="signin" next={next} />
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
