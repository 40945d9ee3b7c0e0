"use client";

import { useState } from "react";
import styles from "./account.module.css";

export function SignOutButton() {
  const [pending, setPending] = useState(false);
  async function signOut() {
    setPending(true);
    // better-auth deletes the session row and clears the cookie; whatever it answers, leave.
    await fetch("/api/auth/sign-out", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }).catch(
      () => undefined,
    );
    window.location.assign("/signin");
  }
  return (
    <button type="button" className={styles.linkButton} onClick={signOut} disabled={pending}>
      {pending ? "Signing out…" : "Sign out"}
    </button>
  );
}
