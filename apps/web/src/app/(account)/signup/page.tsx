import type { Metadata } from "next";
import { redirect } from "next/navigation";
import styles from "../account.module.css";
import { AuthForm } from "../auth-form";
import { getSessionOrNull } from "../session";
import { SiteHeader } from "../site-header";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Create an account · Proofgrid" };

export default async function SignUpPage() {
  if (await getSessionOrNull()) redirect("/dashboard");
  return (
    <div className={styles.page}>
      <SiteHeader />
      <main id="main" className={styles.narrow}>
        <h1 className={styles.title}>Create your account</h1>
        <p className={styles.lede}>Run verified AI inference on independent GPUs, or earn by serving it.</p>
        <div className={styles.card}>
          <AuthForm mode="signup" />
        </div>
        <p className={styles.footer}>
          Already have an account? <a href="/signin">Sign in</a>
        </p>
      </main>
    </div>
  );
}
