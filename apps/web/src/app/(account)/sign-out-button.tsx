"use client";

import { useState } from "react";
import { Button } from "~/components/ui/button";

/** Signs out, then to `to` (default: the sign-in page). */
export function SignOutButton({ to = "/signin" }: { to?: string }) {
  const [pending, setPending] = useState(false);
  async function signOut() {
    setPending(true);
    // better-auth deletes the session row and clears the cookie; whatever it answers, leave.
    await fetch("/api/auth/sign-out", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }).catch(
      () => undefined,
    );
    window.location.assign(to);
  }
  return (
    <Button variant="secondary" size="sm" onClick={signOut} disabled={pending} aria-busy={pending}>
      {pending ? "Signing out…" : "Sign out"}
    </Button>
  );
}
