"use client";

import { useActionState, useEffect, useRef, useState } from "react";
import { type CreateKeyState, createKeyAction } from "../../actions";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { Choice, Field, FieldError, FieldHint, Fieldset, Input, Label } from "~/components/ui/field";
import { useFocusOnError } from "~/components/ui/use-focus-on-error";

// billing:read too: the README's first commands read the balance with the key made here.
const DEFAULT_SCOPES = new Set(["jobs:read", "jobs:write", "models:read", "billing:read"]);

export function CreateKeyForm({ scopes, orgId }: { scopes: readonly string[]; orgId: string }) {
  const [state, action, pending] = useActionState<CreateKeyState, FormData>(createKeyAction, {});
  const [copied, setCopied] = useState(false);
  const errorRef = useFocusOnError(state);
  const secretRef = useRef<HTMLInputElement>(null);
  const formRef = useRef<HTMLFormElement>(null);
  useEffect(() => {
    setCopied(false);
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
    <div className="grid gap-4">
      {state.created ? (
        <Alert tone="success" role="region" aria-labelledby="new-key-warning" className="grid gap-2 p-4 pl-5">
          <strong id="new-key-warning">Key “{state.created.name}” created. Copy it now: you will not see this again.</strong>
          <Label htmlFor="new-key" className="text-success-ink">
            Your new API key
          </Label>
          <div className="flex flex-wrap gap-2">
            <Input
              id="new-key"
              className="min-w-0 flex-[1_1_15rem] font-mono text-[13px] sm:text-[13px]"
              readOnly
              value={state.created.key}
              ref={secretRef}
              aria-describedby="new-key-warning new-key-hint"
            />
            <Button variant="secondary" onClick={copy}>
              {copied ? "Copied" : "Copy"}
            </Button>
          </div>
          <FieldHint id="new-key-hint" className="text-success-ink">
            Only its prefix {state.created.prefix} is kept. Lost it? Revoke it and create another.
          </FieldHint>
        </Alert>
      ) : null}
      <form className="grid gap-4" action={action} ref={formRef}>
        <input type="hidden" name="pageOrg" value={orgId} />
        {state.error ? (
          <Alert tabIndex={-1} ref={errorRef}>
            {state.error}
          </Alert>
        ) : null}
        <Field>
          <Label htmlFor="key-name">Name</Label>
          <Input
            id="key-name"
            name="name"
            required
            maxLength={80}
            placeholder="e.g. production backend"
            aria-invalid={state.fieldErrors?.name ? true : undefined}
            aria-describedby={state.fieldErrors?.name ? "key-name-error" : undefined}
          />
          {state.fieldErrors?.name ? <FieldError id="key-name-error">{state.fieldErrors.name}</FieldError> : null}
        </Field>
        <Fieldset legend="Scopes" aria-describedby={state.fieldErrors?.scopes ? "scopes-error" : undefined}>
          <div className="grid grid-cols-[repeat(auto-fill,minmax(9.5rem,1fr))] gap-x-4 gap-y-2 pt-1">
            {scopes.map((s) => (
              <Choice key={s} type="checkbox" name="scopes" value={s} defaultChecked={DEFAULT_SCOPES.has(s)}>
                {s}
              </Choice>
            ))}
          </div>
          {state.fieldErrors?.scopes ? (
            <FieldError id="scopes-error" className="mt-2">
              {state.fieldErrors.scopes}
            </FieldError>
          ) : null}
        </Fieldset>
        <div>
          <Button type="submit" disabled={pending} aria-busy={pending}>
            {pending ? "Creating key…" : "Create key"}
          </Button>
        </div>
      </form>
    </div>
  );
}
