import type { Metadata } from "next";
import { Main, SiteHeader } from "~/components/site/site-header";
import { Card } from "~/components/ui/card";
import { Lede, PageTitle } from "~/components/ui/typography";
import { requireUser } from "../session";
import { SignOutButton } from "../sign-out-button";
import { OnboardingForm } from "./onboarding-form";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Create an organisation · Proofgrid" };

export default async function OnboardingPage() {
  const session = await requireUser();
  return (
    <>
      <SiteHeader nav={session.activeOrg ? <a href="/dashboard">Dashboard</a> : null} actions={<SignOutButton />} />
      <Main narrow>
        <PageTitle>Create an organisation</PageTitle>
        <Lede>Keys, jobs, credits and workers belong to an organisation. You will be its owner and can invite others later.</Lede>
        <Card>
          <OnboardingForm />
        </Card>
      </Main>
    </>
  );
}
