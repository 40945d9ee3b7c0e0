"use client";

import { useActionState, useEffect, useRef, useState } from "react";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { ConfirmAction } from "~/components/ui/confirm-action";
import { Field, FieldError, FieldHint, Input, Label, Select } from "~/components/ui/field";
import { useFocusOnError } from "~/components/ui/use-focus-on-error";
import { type GrantState, grantCreditsAction, liftQuarantineAction } from "../actions";

/** Where an unconfirmed grant's key waits, so a reload after a lost answer resends the same key. */
const PENDING_KEY = "proofgrid:admin-grant-key";

/**
 * Tokens from the treasury to an organisation. The form carries a key made when the page
 * was rendered: submitting it twice grants once. The key is kept in this tab's
 * sessionStorage from the submit until an answer arrives, so if the answer is lost (the
 * network drops, the page is reloaded) the form comes back with the same key and a resend
 * cannot grant twice. "Make another grant" takes a new key.
 */
export function GrantForm({ orgs, idempotencyKey }: { orgs: { id: string; name: string; slug: string }[]; idempotencyKey: string }) {
  const [state, action, pending] = useActionState<GrantState, FormData>(grantCreditsAction, {});
  const [key, setKey] = useState(idempotencyKey);
  const formRef = useRef<HTMLFormElement>(null);
  useEffect(() => {
    const unconfirmed = sessionStorage.getItem(PENDING_KEY);
    if (unconfirmed) setKey(unconfirmed);
  }, []);
  useEffect(() => {
    if (state.granted) sessionStorage.removeItem(PENDING_KEY);
  }, [state]);
  const messageRef = useFocusOnError(state, { alsoWhen: state.granted });
  if (orgs.length === 0) return <p className="m-0">No organisation to grant to yet.</p>;
  return (
    <form action={action} className="grid gap-4 sm:grid-cols-2" ref={formRef} onSubmit={() => sessionStorage.setItem(PENDING_KEY, key)}>
      {state.granted ? (
        <Alert tone="success" role="status" tabIndex={-1} ref={messageRef} className="sm:col-span-2">
          {state.granted.created
            ? `Granted ${state.granted.tokens} tokens to ${state.granted.orgName}.`
            : "Already granted: this form was submitted before, and nothing more was granted."}{" "}
          <button
            type="button"
            className="cursor-pointer border-0 bg-transparent p-0 text-accent underline"
            onClick={() => {
              setKey(crypto.randomUUID());
              formRef.current?.reset();
            }}
          >
            Make another grant
          </button>
        </Alert>
      ) : null}
      {state.error ? (
        <Alert tabIndex={-1} ref={messageRef} className="sm:col-span-2">
          {state.error}
        </Alert>
      ) : null}
      <input type="hidden" name="idempotencyKey" value={key} />
      <Field>
        <Label htmlFor="grant-org">Organisation</Label>
        <Select
          id="grant-org"
          name="orgId"
          required
          onChange={(e) => {
            const name = e.currentTarget.form?.elements.namedItem("orgName");
            if (name instanceof HTMLInputElement) name.value = e.currentTarget.selectedOptions[0]?.text ?? "";
          }}
          defaultValue={state.values?.orgId ?? orgs[0]?.id}
        >
          {orgs.map((o) => (
            <option key={o.id} value={o.id}>
              {o.name}
            </option>
          ))}
        </Select>
        <input type="hidden" name="orgName" defaultValue={orgs[0]?.name} />
      </Field>
      <Field>
        <Label htmlFor="grant-tokens">Tokens</Label>
        <Input
          id="grant-tokens"
          name="tokens"
          inputMode="decimal"
          required
          defaultValue={state.values?.tokens}
          maxLength={17}
          aria-invalid={state.fieldErrors?.tokens ? true : undefined}
          aria-describedby={state.fieldErrors?.tokens ? "grant-tokens-error" : "grant-tokens-hint"}
        />
        {state.fieldErrors?.tokens ? (
          <FieldError id="grant-tokens-error">{state.fieldErrors.tokens}</FieldError>
        ) : (
          <FieldHint id="grant-tokens-hint">e.g. 250 or 0.5</FieldHint>
        )}
      </Field>
      <Field className="sm:col-span-2">
        <Label htmlFor="grant-memo">Why</Label>
        <Input
          id="grant-memo"
          name="memo"
          required
          minLength={3}
          maxLength={500}
          placeholder="e.g. launch credits, support ticket 812"
          defaultValue={state.values?.memo}
          aria-invalid={state.fieldErrors?.memo ? true : undefined}
          aria-describedby={state.fieldErrors?.memo ? "grant-memo-error" : undefined}
        />
        {state.fieldErrors?.memo ? <FieldError id="grant-memo-error">{state.fieldErrors.memo}</FieldError> : null}
      </Field>
      <div>
        <Button type="submit" disabled={pending} aria-busy={pending}>
          {pending ? "Granting…" : "Grant"}
        </Button>
      </div>
    </form>
  );
}

export function LiftQuarantineButton({ nodeId, name }: { nodeId: string; name: string }) {
  return (
    <ConfirmAction
      action={liftQuarantineAction}
      fields={{ nodeId }}
      trigger="Lift"
      triggerLabel={`Lift the quarantine of ${name}`}
      title={`Return ${name} to service?`}
      description="It comes back at half priority and its verdict history stays. Do this only after reviewing the evidence."
      confirm="Yes, lift it"
      busy="Lifting…"
      focusAfter="quarantine-heading"
    />
  );
}
