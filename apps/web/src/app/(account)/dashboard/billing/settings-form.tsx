"use client";

import { useActionState } from "react";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { Choice, Field, FieldError, FieldHint, Input, Label } from "~/components/ui/field";
import { useFocusOnError } from "~/components/ui/use-focus-on-error";
import { type BillingFormState, saveBillingSettingsAction } from "./actions";

interface Props {
  orgId: string;
  /** Whole tokens as text ("" when unset). */
  initial: {
    monthlySpendCap: string;
    lowBalanceThreshold: string;
    autoTopupThreshold: string;
    autoTopupAmount: string;
    autoTopupEnabled: boolean;
  };
  savedCard: string | null;
  cardPayments: boolean;
}

function TokensField({
  id,
  name,
  label,
  hint,
  value,
  error,
}: {
  id: string;
  name: string;
  label: string;
  hint: string;
  value: string;
  error?: string;
}) {
  return (
    <Field>
      <Label htmlFor={id}>{label}</Label>
      <Input
        id={id}
        name={name}
        inputMode="numeric"
        autoComplete="off"
        defaultValue={value}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error ${id}-hint` : `${id}-hint`}
      />
      <FieldHint id={`${id}-hint`}>{hint}</FieldHint>
      {error ? <FieldError id={`${id}-error`}>{error}</FieldError> : null}
    </Field>
  );
}

/** The monthly spend cap, the low-balance alert and auto top-up (owners). Empty fields clear a setting. */
export function BillingSettingsForm({ orgId, initial, savedCard, cardPayments }: Props) {
  const [state, action, pending] = useActionState<BillingFormState, FormData>(saveBillingSettingsAction, {});
  const ref = useFocusOnError(state, { alsoWhen: state.saved });
  const v = state.values ?? { ...initial, autoTopupEnabled: initial.autoTopupEnabled ? "on" : "" };
  const fe = state.fieldErrors ?? {};
  return (
    <form action={action} className="grid gap-4 sm:grid-cols-2">
      {state.saved ? (
        <Alert tone="success" role="status" tabIndex={-1} ref={ref} className="sm:col-span-2">
          Saved.
        </Alert>
      ) : null}
      {state.error ? (
        <Alert tabIndex={-1} ref={ref} className="sm:col-span-2">
          {state.error}
        </Alert>
      ) : null}
      <input type="hidden" name="pageOrg" value={orgId} />
      <TokensField
        id="monthly-cap"
        name="monthlySpendCap"
        label="Monthly spend cap (tokens)"
        hint="Jobs that would pass it are refused with a 402 until next month. Empty: no cap."
        value={String(v.monthlySpendCap ?? "")}
        error={fe.monthlySpendCap}
      />
      <TokensField
        id="low-balance"
        name="lowBalanceThreshold"
        label="Email the owners below (tokens)"
        hint="A low-balance alert, once each time the balance falls below it. Empty: none."
        value={String(v.lowBalanceThreshold ?? "")}
        error={fe.lowBalanceThreshold}
      />
      <div className="grid gap-3 sm:col-span-2">
        <Choice type="checkbox" name="autoTopupEnabled" defaultChecked={v.autoTopupEnabled === "on"} disabled={!cardPayments || !savedCard}>
          Top up automatically {savedCard ? `with ${savedCard}` : "(buy once with “save this card” to use it)"}
        </Choice>
      </div>
      <TokensField
        id="topup-threshold"
        name="autoTopupThreshold"
        label="When the balance falls below (tokens)"
        hint="Checked every few seconds by the platform."
        value={String(v.autoTopupThreshold ?? "")}
        error={fe.autoTopupThreshold}
      />
      <TokensField
        id="topup-amount"
        name="autoTopupAmount"
        label="Buy this many tokens"
        hint="Charged to the saved card, at most one top-up at a time."
        value={String(v.autoTopupAmount ?? "")}
        error={fe.autoTopupAmount}
      />
      <div className="sm:col-span-2">
        <Button type="submit" variant="secondary" disabled={pending} aria-busy={pending || undefined}>
          Save settings
        </Button>
      </div>
    </form>
  );
}
