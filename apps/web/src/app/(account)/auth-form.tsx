"use client";

import { type FormEvent, useEffect, useRef, useState } from "react";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { Field, FieldHint, Input, Label } from "~/components/ui/field";

type Mode = "signup" | "signin";

/** better-auth's error codes, turned into what the person can do about them. */
const MESSAGES: Record<string, string> = {
  USER_ALREADY_EXISTS: "An account with this email already exists. Sign in instead, or use another email.",
  USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL: "An account with this email already exists. Sign in instead, or use another email.",
  INVALID_EMAIL_OR_PASSWORD: "The email or the password is wrong. Check both and try again.",
  INVALID_EMAIL: "Enter an email address like name@example.com.",
  PASSWORD_TOO_SHORT: "Choose a password of at least 10 characters.",
  PASSWORD_TOO_LONG: "Choose a password of at most 128 characters.",
};

/** Sign-up and sign-in against better-auth's endpoints; the session arrives as a cookie. */
export function AuthForm({ mode, next = null }: { mode: Mode; next?: string | null }) {
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const errorRef = useRef<HTMLDivElement>(null);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const body = Object.fromEntries(["name", "email", "password"].filter((k) => form.has(k)).map((k) => [k, String(form.get(k))]));
    setPending(true);
    setError(null);
    try {
      const res = await fetch(`/api/auth/${mode === "signup" ? "sign-up" : "sign-in"}/email`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      if (res.ok) {
        // A full navigation: the server renders the next page with the new session cookie.
        window.location.assign(next ?? (mode === "signup" ? "/onboarding" : "/dashboard"));
        return;
      }
      const data = (await res.json().catch(() => ({}))) as { code?: string; message?: string };
      const message =
        res.status === 429
          ? "Too many attempts. Wait a minute, then try again."
          : (MESSAGES[data.code ?? ""] ?? data.message ?? `Something went wrong (HTTP ${res.status}). Try again in a moment.`);
      setError(message);
    } catch {
      setError("The server cannot be reached. Check your connection and try again.");
    }
    setPending(false);
  }

  // Focus the message so screen readers and keyboard users land on it.
  useEffect(() => {
    if (error) errorRef.current?.focus();
  }, [error]);

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
