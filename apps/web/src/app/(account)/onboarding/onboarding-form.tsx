"use client";

import { useActionState, useEffect, useRef } from "react";
import { createOrganizationAction, type FormState } from "../actions";
import styles from "../account.module.css";

export function OnboardingForm() {
  const [state, action, pending] = useActionState<FormState, FormData>(createOrganizationAction, {});
  const errorRef = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (state.error) errorRef.current?.focus();
  }, [state]);
  const nameError = state.fieldErrors?.name;
  return (
    <form className={styles.form} action={action}>
      {state.error ? (
        <p role="alert" className={styles.alert} tabIndex={-1} ref={errorRef}>
          {state.error}
        </p>
      ) : null}
      <div className={styles.field}>
        <label className={styles.label} htmlFor="org-name">
          Organisation name
        </label>
        <input
          className={styles.input}
          id="org-name"
          name="name"
          required
          minLength={2}
          maxLength={80}
          autoComplete="organization"
          aria-invalid={nameError ? true : undefined}
          aria-describedby={nameError ? "org-name-error" : undefined}
        />
        {nameError ? (
          <p id="org-name-error" className={styles.error}>
            {nameError}
          </p>
        ) : null}
      </div>
      <fieldset className={styles.fieldset}>
        <legend>What will you do on Proofgrid?</legend>
        <div className={styles.form}>
          <label className={styles.check}>
            <input type="radio" name="kind" value="customer" defaultChecked /> Run inference (customer)
          </label>
          <label className={styles.check}>
            <input type="radio" name="kind" value="provider" /> Provide GPUs (provider)
          </label>
          <label className={styles.check}>
            <input type="radio" name="kind" value="both" /> Both
          </label>
        </div>
      </fieldset>
      <button className={styles.button} type="submit" disabled={pending} aria-busy={pending}>
        {pending ? "Creating…" : "Create organisation"}
      </button>
    </form>
  );
}
