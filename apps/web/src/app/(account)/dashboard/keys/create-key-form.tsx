"use client";

import { useActionState, useEffect, useRef, useState } from "react";
import { type CreateKeyState, createKeyAction } from "../../actions";
import styles from "../../account.module.css";

const DEFAULT_SCOPES = new Set(["jobs:read", "jobs:write", "models:read"]);

export function CreateKeyForm({ scopes }: { scopes: readonly string[] }) {
  const [state, action, pending] = useActionState<CreateKeyState, FormData>(createKeyAction, {});
  const [copied, setCopied] = useState(false);
  const errorRef = useRef<HTMLParagraphElement>(null);
  const secretRef = useRef<HTMLInputElement>(null);
  const formRef = useRef<HTMLFormElement>(null);
  useEffect(() => {
    setCopied(false);
    if (state.error) errorRef.current?.focus();
    if (state.created) {
      formRef.current?.reset();
      secretRef.current?.focus();
      secretRef.current?.select();
    }
  }, [state]);

  async function copy() {
    const key = state.created?.key;
    if (!key) return;
    try {
      await navigator.clipboard.writeText(key);
      setCopied(true);
    } catch {
      // No clipboard permission (or no secure context): the text is selected for Ctrl+C.
      secretRef.current?.select();
    }
  }

  return (
    <div className={styles.form}>
      {state.created ? (
        <section className={styles.success} aria-labelledby="new-key-warning">
          <strong id="new-key-warning">Key “{state.created.name}” created. Copy it now: you will not see this again.</strong>
          <label className={styles.label} htmlFor="new-key">
            Your new API key
          </label>
          <div className={styles.secretRow}>
            <input
              id="new-key"
              className={styles.input}
              readOnly
              value={state.created.key}
              ref={secretRef}
              aria-describedby="new-key-warning new-key-hint"
            />
            <button type="button" className={styles.buttonSecondary} onClick={copy}>
              {copied ? "Copied" : "Copy"}
            </button>
          </div>
          <span id="new-key-hint" className={styles.hint}>
            Only its prefix {state.created.prefix} is kept. Lost it? Revoke it and create another.
          </span>
        </section>
      ) : null}
      <form className={styles.form} action={action} ref={formRef}>
        {state.error ? (
          <p role="alert" className={styles.alert} tabIndex={-1} ref={errorRef}>
            {state.error}
          </p>
        ) : null}
        <div className={styles.field}>
          <label className={styles.label} htmlFor="key-name">
            Name
          </label>
          <input
            className={styles.input}
            id="key-name"
            name="name"
            required
            maxLength={80}
            placeholder="e.g. production backend"
            aria-invalid={state.fieldErrors?.name ? true : undefined}
            aria-describedby={state.fieldErrors?.name ? "key-name-error" : undefined}
          />
          {state.fieldErrors?.name ? (
            <p id="key-name-error" className={styles.error}>
              {state.fieldErrors.name}
            </p>
          ) : null}
        </div>
        <fieldset className={styles.fieldset} aria-describedby={state.fieldErrors?.scopes ? "scopes-error" : undefined}>
          <legend>Scopes</legend>
          <div className={styles.checks}>
            {scopes.map((s) => (
              <label key={s} className={styles.check}>
                <input type="checkbox" name="scopes" value={s} defaultChecked={DEFAULT_SCOPES.has(s)} /> {s}
              </label>
            ))}
          </div>
          {state.fieldErrors?.scopes ? (
            <p id="scopes-error" className={styles.error}>
              {state.fieldErrors.scopes}
            </p>
          ) : null}
        </fieldset>
        <div>
          <button className={styles.button} type="submit" disabled={pending} aria-busy={pending}>
            {pending ? "Creating key…" : "Create key"}
          </button>
        </div>
      </form>
    </div>
  );
}
