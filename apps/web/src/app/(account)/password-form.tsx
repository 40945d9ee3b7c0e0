"use client";

import { type FormEvent, useState } from "react";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { Field, FieldHint, Input, Label } from "~/components/ui/field";
import { useFocusOnError } from "~/components/ui/use-focus-on-error";

type Props = { mode: "request" } | { mode: "reset"; token: string };

/**
 * Asks better-auth for a reset link (the same answer whether or not the address has an
 * account), or sets the new password with the link's token.
 */
export function PasswordForm(props: Props) {
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const messageRef = useFocusOnError(error, { alsoWhen: done });

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setPending(true);
    setError(null);
    try {
      if (props.mode === "request") {
        const email = String(form.get("email") ?? "");
        const res = await fetch("/api/auth/request-password-reset", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ email, redirectTo: "/reset-password" }),
        });
        if (res.ok)
          setDone(
            `If an account exists for ${email}, a link to choose a new password is on its way. Check your inbox (and spam) in a minute.`,
          );
        else
          setError(
            res.status === 429
              ? "Too many attempts. Wait a minute, then try again."
              : `Something went wrong (HTTP ${res.status}). Try again in a moment.`,
          );
      } else {
        const password = String(form.get("password") ?? "");
        if (password !== String(form.get("confirm") ?? "")) {
          setError("The two passwords differ. Type the same one twice.");
        } else {
          const res = await fetch("/api/auth/reset-password", {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ newPassword: password, token: props.token }),
          });
          const data = (await res.json().catch(() => ({}))) as { code?: string; message?: string };
          if (res.ok) setDone("Your password is changed.");
          else if (data.code === "INVALID_TOKEN") setError("This link has expired or was already used. Ask for a new one.");
          else if (data.code === "PASSWORD_TOO_SHORT") setError("Choose a password of at least 10 characters.");
          else setError(data.message ?? `Something went wrong (HTTP ${res.status}). Try again in a moment.`);
        }
      }
    } catch {
      setError("The server cannot be reached. Check your connection and try again.");
    }
    setPending(false);
  }

  if (done) {
    return (
      <Alert tone="success" role="status" tabIndex={-1} ref={messageRef}>
        {done} {props.mode === "reset" ? <a href="/signin">Sign in</a> : null}
      </Alert>
    );
  }
  return (
    <form className="grid gap-4" onSubmit={onSubmit}>
      {error ? (
        <Alert tabIndex={-1} ref={messageRef}>
          {error} {error.includes("Ask for a new one") ? <a href="/forgot-password">Ask for a new link</a> : null}
        </Alert>
      ) : null}
      {props.mode === "request" ? (
        <Field>
          <Label htmlFor="email">Email</Label>
          <Input id="email" name="email" type="email" autoComplete="email" required maxLength={254} />
        </Field>
      ) : (
        <>
          <Field>
            <Label htmlFor="password">New password</Label>
            <Input
              id="password"
              name="password"
              type="password"
              autoComplete="new-password"
              required
              minLength={10}
              maxLength={128}
              aria-describedby="password-hint"
            />
            <FieldHint id="password-hint">At least 10 characters.</FieldHint>
          </Field>
          <Field>
            <Label htmlFor="confirm">The same again</Label>
            <Input id="confirm" name="confirm" type="password" autoComplete="new-password" required minLength={10} maxLength={128} />
          </Field>
        </>
      )}
      <Button type="submit" disabled={pending} aria-busy={pending} className="w-full">
        {props.mode === "request" ? (pending ? "Sending…" : "Email me a link") : pending ? "Saving…" : "Save the new password"}
      </Button>
    </form>
  );
}
