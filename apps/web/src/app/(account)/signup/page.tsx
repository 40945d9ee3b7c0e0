import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { Main, SiteHeader } from "~/components/site/site-header";
import { Card } from "~/components/ui/card";
import { Lede, PageTitle } from "~/components/ui/typography";
import { emailGoesToLog } from "~/server/services/mail/outbox";
import { AuthForm } from "../auth-form";
import { safeNextPath } from "../next-path";
import { getSessionOrNull } from "../session";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Create an account · Proofgrid" };

export default async function SignUpPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const next = safeNextPath((await searchParams).next);
  if (await getSessionOrNull()) redirect(next ?? "/dashboard");
  return (
    <>
      <SiteHeader />
      <Main narrow>
        <PageTitle>Create your account</PageTitle>
        <Lede>Run verified AI inference on independent GPUs, or earn by serving it.</Lede>
        <Card>
          <AuthForm mode="signup" next={next} mailToLog={emailGoesToLog()} />
        </Card>
        <p className="mt-6 text-sm">
          Already have an account? <a href={next ? `/signin?next=${encodeURIComponent(next)}` : "/signin"}>Sign in</a>
        </p>
      </Main>
    </>
  );
}
