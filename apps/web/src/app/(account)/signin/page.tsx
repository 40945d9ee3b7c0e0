import type { Metadata } from "next";
import { redirect } from "next/navigation";
import styles from "../account.module.css";
import { AuthForm } from "../auth-form";
import { getSessionOrNull } from "../session";
import { SiteHeader } from "../site-header";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Sign in · Proofgrid" };

export default async function SignInPage() {
  if (await getSessionOrNull()) redirect("/dashboard");
  return (
    <div className={styles.page}>
      <SiteHeader />
      <main id="main" className={styles.narrow}>
        <h1 className={styles.title}>Sign in</h1>
        <p className={styles.lede}>Your dashboard, API keys and jobs.</p>
        <div className={styles.card}>
          <AuthForm mode="signin" />
        </div>
        <p className={styles.footer}>
          New to Proofgrid? <a href="/signup">Create an account</a>
        </p>
      </main>
    </div>
  );
}
