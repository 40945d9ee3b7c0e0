import type { Metadata } from "next";
import styles from "../account.module.css";
import { requireUser } from "../session";
import { SignOutButton } from "../sign-out-button";
import { SiteHeader } from "../site-header";
import { OnboardingForm } from "./onboarding-form";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Create an organisation · Proofgrid" };

export default async function OnboardingPage() {
  const session = await requireUser();
  return (
    <div className={styles.page}>
      <SiteHeader>
        {session.activeOrg ? <a href="/dashboard">Dashboard</a> : null}
        <SignOutButton />
      </SiteHeader>
      <main id="main" className={styles.narrow}>
        <h1 className={styles.title}>Create an organisation</h1>
        <p className={styles.lede}>
          Keys, jobs, credits and workers belong to an organisation. You will be its owner and can invite others later.
        </p>
        <div className={styles.card}>
          <OnboardingForm />
        </div>
      </main>
    </div>
  );
}
