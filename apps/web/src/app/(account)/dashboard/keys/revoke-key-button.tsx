"use client";

import { useActionState, useEffect, useRef, useState } from "react";
import { type FormState, revokeKeyAction } from "../../actions";
import styles from "../../account.module.css";

/** Revoke in two steps: the first press asks, with focus on the confirmation. */
export function RevokeKeyButton({ id, name }: { id: string; name: string }) {
  const [confirming, setConfirming] = useState(false);
  const [state, action, pending] = useActionState<FormState, FormData>(revokeKeyAction, {});
  const confirmRef = useRef<HTMLButtonElement>(null);
  const startRef = useRef<HTMLButtonElement>(null);
  const asked = useRef(false);
  useEffect(() => {
    // Focus follows the question, and returns to "Revoke" when it is cancelled.
    if (confirming) confirmRef.current?.focus();
    else if (asked.current) startRef.current?.focus();
    asked.current = confirming;
  }, [confirming]);
  if (!confirming) {
    return (
      <button
        type="button"
        className={styles.buttonSecondary}
        onClick={() => setConfirming(true)}
        ref={startRef}
        aria-label={`Revoke key ${name}`}
      >
        Revoke
      </button>
    );
  }
  return (
    <form action={action} className={styles.inline}>
      <input type="hidden" name="id" value={id} />
      <span>Revoke “{name}”? Requests with it will fail at once.</span>
      <button type="submit" className={styles.buttonDanger} ref={confirmRef} disabled={pending}>
        {pending ? "Revoking…" : "Yes, revoke"}
      </button>
      <button type="button" className={styles.buttonSecondary} onClick={() => setConfirming(false)}>
        Cancel
      </button>
      {state.error ? (
        <p role="alert" className={styles.error}>
          {state.error}
        </p>
      ) : null}
    </form>
  );
}
