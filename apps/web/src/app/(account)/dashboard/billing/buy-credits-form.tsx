"use client";

import { useActionState, useState } from "react";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { Choice, Field, FieldError, FieldHint, Fieldset, Input, Label } from "~/components/ui/field";
import { useFocusOnError } from "~/components/ui/use-focus-on-error";
import { formatMoney } from "~/server/services/billing/price";
import { BASE_UNITS_PER_TOKEN, formatTokenAmount } from "~/server/services/billing/tokens";
import { type BillingFormState, buyCreditsAction } from "./actions";

interface Props {
  orgId: string;
  packs: number[];
  minTokens: number;
  maxTokens: number;
  tokenPriceMinor: number;
  currency: string;
  /** Made when the page was rendered: a double submit starts one checkout. */
  idempotencyKey: string;
}

const tokensLabel = (n: number) => `${formatTokenAmount(BigInt(n) * BASE_UNITS_PER_TOKEN)} tokens`;

/** Packs and a custom amount, each shown in tokens and in money; "Pay with card" goes to Stripe Checkout. */
export function BuyCreditsForm(p: Props) {
  const [state, action, pending] = useActionState<BillingFormState, FormData>(buyCreditsAction, {});
  const [choice, setChoice] = useState(state.values?.pack ?? String(p.packs[0] ?? "custom"));
  const [custom, setCustom] = useState(state.values?.customTokens ?? "");
  const errorRef = useFocusOnError(state);
  const customTokens = /^\d{1,12}$/.test(custom.trim()) ? Number(custom.trim()) : null;
  const price = (n: number) => formatMoney(BigInt(n) * BigInt(p.tokenPriceMinor), p.currency);
  const customError = state.fieldErrors?.tokens;
  return (
    <form action={action} className="grid gap-4">
      {state.error ? (
        <Alert tabIndex={-1} ref={errorRef}>
          {state.error}
        </Alert>
      ) : null}
      <input type="hidden" name="pageOrg" value={p.orgId} />
      <input type="hidden" name="idempotencyKey" value={p.idempotencyKey} />
      <Fieldset legend="How many tokens">
        <div className="grid gap-2 pt-2 sm:grid-cols-2">
          {p.packs.map((n) => (
            <Choice key={n} type="radio" name="pack" value={String(n)} checked={choice === String(n)} onChange={() => setChoice(String(n))}>
              <span>
                <span className="font-semibold">{tokensLabel(n)}</span> · {price(n)}
              </span>
            </Choice>
          ))}
          <Choice type="radio" name="pack" value="custom" checked={choice === "custom"} onChange={() => setChoice("custom")}>
            Another amount
          </Choice>
        </div>
      </Fieldset>
      {choice === "custom" ? (
        <Field>
          <Label htmlFor="custom-tokens">Tokens</Label>
          <Input
            id="custom-tokens"
            name="customTokens"
            inputMode="numeric"
            autoComplete="off"
            value={custom}
            onChange={(e) => setCustom(e.currentTarget.value)}
            aria-invalid={customError ? true : undefined}
            aria-describedby={customError ? "custom-tokens-error custom-tokens-hint" : "custom-tokens-hint"}
            className="max-w-[14rem]"
          />
          <FieldHint id="custom-tokens-hint">
            Whole tokens, {p.minTokens.toLocaleString("en-US")} to {p.maxTokens.toLocaleString("en-US")}.{" "}
            {customTokens !== null ? `${tokensLabel(customTokens)} cost ${price(customTokens)}.` : null}
          </FieldHint>
          {customError ? <FieldError id="custom-tokens-error">{customError}</FieldError> : null}
        </Field>
      ) : null}
      <Choice type="checkbox" name="saveCard" defaultChecked={state.values?.saveCard === "on"}>
        Save this card for automatic top-ups
      </Choice>
      <div>
        <Button type="submit" disabled={pending} aria-busy={pending || undefined}>
          {pending ? "Opening checkout…" : "Pay with card"}
        </Button>
      </div>
    </form>
  );
}
