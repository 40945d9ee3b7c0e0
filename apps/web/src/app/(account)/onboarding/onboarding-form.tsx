"use client";

import { useActionState } from "react";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { Choice, Field, FieldError, Fieldset, Input, Label } from "~/components/ui/field";
import { useFocusOnError } from "~/components/ui/use-focus-on-error";
import { createOrganizationAction } from "../actions";
import type { FormState } from "../form-action";

export function OnboardingForm() {
  const [state, action, pending] = useActionState<FormState, FormData>(createOrganizationAction, {});
  const errorRef = useFocusOnError(state);
  const nameError = state.fieldErrors?.name;
  return (
    <form className="grid gap-4" action={action}>
      {state.error ? (
        <Alert tabIndex={-1} ref={errorRef}>
          {state.error}
        </Alert>
      ) : null}
      <Field>
        <Label htmlFor="org-name">Organisation name</Label>
        <Input
          id="org-name"
          name="name"
          required
          minLength={2}
          maxLength={80}
          autoComplete="organization"
          aria-invalid={nameError ? true : undefined}
          aria-describedby={nameError ? "org-name-error" : undefined}
        />
        {nameError ? <FieldError id="org-name-error">{nameError}</FieldError> : null}
      </Field>
      <Fieldset legend="What will you do on Proofgrid?">
        <div className="grid gap-2.5 pt-1">
          <Choice type="radio" name="kind" value="customer" defaultChecked>
            Run inference (customer)
          </Choice>
          <Choice type="radio" name="kind" value="provider">
            Provide GPUs (provider)
          </Choice>
          <Choice type="radio" name="kind" value="both">
            Both
          </Choice>
        </div>
      </Fieldset>
      <Button type="submit" disabled={pending} aria-busy={pending} className="w-full">
        {pending ? "Creating…" : "Create organisation"}
      </Button>
    </form>
  );
}
