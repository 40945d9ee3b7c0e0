"use client";

import { type FormEvent, useEffect, useRef, useState } from "react";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { Field, FieldHint, Input, Label } from "~/components/ui/field";
import { useFocusOnError } from "~/components/ui/use-focus-on-error";

type Mode = "signup" | "signin";

/** better-auth's error codes, turned into what the person can do about them. */
const MESSAGES: Record<string, string> = {
  EMAIL_NOT_VERIFIED: "Confirm your email first: we have sent a new link to your address. Open it to sign in.",
  INVALID_EMAIL_OR_PASSWORD: "The email or the password is wrong. Check both and try again.",
  INVALID_EMAIL: "Enter an email address like name@example.com.",
  PASSWORD_TOO_SHORT: "Choose a password of at least 10 characters.",
  PASSWORD_TOO_LONG: "Choose a password of at most 128 characters.",
};

/**
 * Where the emailed confirmation link lands: the sign-in page, which sends a signed-in
 * person on to `next` and explains a link that failed (expired, already used).
 */
export function confirmationCallback(next: string | null): string {
  return `/signin?next=${encodeURIComponent(next ?? "/onboarding")}`;
}

/**
 * Sign-up and sign-in against better-auth's endpoints. Sign-in's session arrives as a
 * cookie; a sign-up is answered alike whether or not the address has an account, and goes
 * on from the link emailed to it.
 */
export function AuthForm({ mode, next = null, mailToLog = false }: { mode: Mode; next?: string | null; mailToLog?: boolean }) {
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const [sentTo, setSentTo] = useState<string | null>(null);
  // Focus the message so screen readers and keyboard users land on it.
  const errorRef = useFocusOnError(error);
  const sentRef = useRef<HTMLHeadingElement>(null);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const body: Record<string, string> = Object.fromEntries(
      ["name", "email", "password"].filter((k) => form.has(k)).map((k) => [k, String(form.get(k))]),
    );
    // Where the confirmation link goes on to (sign-up, and a sign-in to an unconfirmed account).
    body.callbackURL = confirmationCallback(next);
    setPending(true);
    setError(null);
    try {
      const res = await fetch(`/api/auth/${mode === "signup" ? "sign-up" : "sign-in"}/email`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      if (res.ok && mode === "signup") {
        setSentTo(body.email ?? "");
        setPending(false);
        return;
      }
      if (res.ok) {
        // A full navigation: the server renders the next page with the new session cookie.
        window.location.assign(next ?? "/dashboard");
        return;
      }
      const data = (await res.json().catch(() => ({}))) as { code?: string; message?: string };
      const message =
        res.status === 429
          ? "Too many attempts. Wait a minute, then try again."
          : (MESSAGES[data.code ?? ""] ?? data.message ?? `Something went wrong (HTTP ${res.status}). Try again in a moment.`) +
            (data.code === "EMAIL_NOT_VERIFIED" && mailToLog
              ? " This installation writes emails to the server's log (the terminal that runs npm start)."
              : "");
      setError(message);
    } catch {
      setError("The server cannot be reached. Check your connection and try again.");
    }
    setPending(false);
  }

  useEffect(() => {
    if (sentTo !== null) sentRef.current?.focus();
  }, [sentTo]);

  if (sentTo !== null) {
    return (
      <section className="grid gap-3" aria-labelledby="check-email" data-testid="check-email">
        <h2 id="check-email" ref={sentRef} tabIndex={-1} className="text-lg font-semibold">
          Check your email
        </h2>
        <p>
          We sent a link to <strong>{sentTo}</strong>. Open it within a day to confirm the address and{" "}
          {next?.startsWith("/invite/") ? "go on to your invitation" : "set up your organisation"}.
        </p>
        {mailToLog ? (
          <Alert tone="info" role="status">
            This installation sends no email (SMTP_URL is not set): the message is written to the server&apos;s log instead, in the terminal
            that runs <code>npm start</code>. Look for &ldquo;Confirm your Proofgrid email&rdquo;.
          </Alert>
        ) : null}
        <p className="text-sm">
          No email after a few minutes? Check the spelling above and your spam folder, or <a href="/signin">sign in</a> with your password
          to get a new link.
        </p>
      </section>
    );
  }

  return (
    <form className="grid gap-4" onSubmit={onSubmit} noValidate={false} aria-describedby={error ? "auth-error" : undefined}>
      {error ? (
        <Alert id="auth-error" tabIndex={-1} ref={errorRef}>
          {error}
        </Alert>
      ) : null}
      {mode === "signup" ? (
        <Field>
          <Label htmlFor="name">Your name</Label>
          <Input id="name" name="name" autoComplete="name" required maxLength={100} />
        </Field>
      ) : null}
      <Field>
        <Label htmlFor="email">Email</Label>
        <Input id="email" name="email" type="email" autoComplete="email" required maxLength={254} />
      </Field>
      <Field>
        <Label htmlFor="password">Password</Label>
        <Input
          id="password"
          name="password"
          type="password"
          autoComplete={mode === "signup" ? "new-password" : "current-password"}
          required
          minLength={mode === "signup" ? 10 : undefined}
          maxLength={128}
          aria-describedby={mode === "signup" ? "password-hint" : undefined}
        />
        {mode === "signup" ? <FieldHint id="password-hint">At least 10 characters.</FieldHint> : null}
      </Field>
      <Button type="submit" disabled={pending} aria-busy={pending} className="w-full">
        {pending ? (mode === "signup" ? "Creating your account…" : "Signing in…") : mode === "signup" ? "Create account" : "Sign in"}
      </Button>
    </form>
  );
}
