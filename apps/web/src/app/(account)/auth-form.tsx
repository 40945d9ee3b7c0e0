"use client";

import { type FormEvent, useEffect, useRef, useState } from "react";
import styles from "./account.module.css";

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
export function AuthForm({ mode }: { mode: Mode }) {
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const errorRef = useRef<HTMLParagraphElement>(null);

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
        window.location.assign(mode === "signup" ? "/onboarding" : "/dashboard");
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
    <form className={styles.form} onSubmit={onSubmit} noValidate={false} aria-describedby={error ? "auth-error" : undefined}>
      {error ? (
        <p id="auth-error" role="alert" className={styles.alert} tabIndex={-1} ref={errorRef}>
          {error}
        </p>
      ) : null}
      {mode === "signup" ? (
        <div className={styles.field}>
          <label className={styles.label} htmlFor="name">
            Your name
          </label>
          <input className={styles.input} id="name" name="name" autoComplete="name" required maxLength={100} />
        </div>
      ) : null}
      <div className={styles.field}>
        <label className={styles.label} htmlFor="email">
          Email
        </label>
        <input className={styles.input} id="email" name="email" type="email" autoComplete="email" required maxLength={254} />
      </div>
      <div className={styles.field}>
        <label className={styles.label} htmlFor="password">
          Password
        </label>
        <input
          className={styles.input}
          id="password"
          name="password"
          type="password"
          autoComplete={mode === "signup" ? "new-password" : "current-password"}
          required
          minLength={mode === "signup" ? 10 : undefined}
          maxLength={128}
          aria-describedby={mode === "signup" ? "password-hint" : undefined}
        />
        {mode === "signup" ? (
          <span id="password-hint" className={styles.hint}>
            At least 10 characters.
          </span>
        ) : null}
      </div>
      <button className={styles.button} type="submit" disabled={pending} aria-busy={pending}>
        {pending ? (mode === "signup" ? "Creating your account…" : "Signing in…") : mode === "signup" ? "Create account" : "Sign in"}
      </button>
    </form>
  );
}
