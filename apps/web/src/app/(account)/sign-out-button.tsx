"use client";

import { useState } from "react";
import { Button } from "~/components/ui/button";

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
    <Button variant="secondary" size="sm" onClick={signOut} disabled={pending} aria-busy={pending}>
      {pending ? "Signing out…" : "Sign out"}
    </Button>
  );
}
