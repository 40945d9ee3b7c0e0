"use client";

import { useActionState, useEffect, useState } from "react";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { Field, FieldHint, Input, Label } from "~/components/ui/field";
import { useFocusOnError } from "~/components/ui/use-focus-on-error";
import { formatTokens } from "~/server/services/billing/tokens";
import { claimEarlyAction, claimVestedAction, type RewardFormState } from "./actions";

function Outcome({ state }: { state: RewardFormState }) {
  const errorRef = useFocusOnError(state);
  return (
    <>
      {state.error ? (
        <Alert tabIndex={-1} ref={errorRef}>
          {state.error}
        </Alert>
      ) : null}
      {state.claimed ? (
        <Alert tone="success" role="status">
          Claimed: {formatTokens(state.claimed.paid)} tokens moved to your earnings
          {state.claimed.kind === "early" ? `; ${formatTokens(state.claimed.haircut)} went back to the emission pool` : ""}.
        </Alert>
      ) : null}
    </>
  );
}

/** Claim what has vested: all of it, or a number of tokens of it. */
export function ClaimVestedForm({ orgId, claimable, idempotencyKey }: { orgId: string; claimable: string; idempotencyKey: string }) {
  const [state, action, pending] = useActionState<RewardFormState, FormData>(claimVestedAction, {});
  const none = BigInt(claimable) === 0n;
  return (
    <form action={action} className="grid gap-4" aria-label="Claim vested rewards">
      <Outcome state={state} />
      <input type="hidden" name="pageOrg" value={orgId} />
      <input type="hidden" name="idempotencyKey" value={idempotencyKey} />
      <Field>
        <Label htmlFor="claim-tokens">Tokens to claim (optional)</Label>
        <Input
          id="claim-tokens"
          name="tokens"
          inputMode="decimal"
          autoComplete="off"
          placeholder={formatTokens(claimable)}
          defaultValue={state.values?.tokens ?? ""}
          aria-describedby="claim-tokens-hint"
          className="max-w-[14rem]"
        />
        <FieldHint id="claim-tokens-hint">
          {formatTokens(claimable)} tokens have vested and are unclaimed. Leave empty to claim all of it.
        </FieldHint>
      </Field>
      <div>
        <Button type="submit" disabled={pending || none} aria-busy={pending || undefined} data-action="claim-vested">
          {pending ? "Claiming…" : "Claim vested rewards"}
        </Button>
      </div>
    </form>
  );
}

/** Claim everything now, less the haircut on what has not vested: asks to confirm, showing the haircut. */
export function ClaimEarlyForm(p: { orgId: string; paid: string; haircut: string; haircutBps: number; idempotencyKey: string }) {
  const [state, action, pending] = useActionState<RewardFormState, FormData>(claimEarlyAction, {});
  const [confirming, setConfirming] = useState(false);
  const nothing = BigInt(p.paid) + BigInt(p.haircut) === 0n;
  useEffect(() => {
    if (state.claimed || state.error) setConfirming(false);
  }, [state]);
  return (
    <form action={action} className="grid gap-4" aria-label="Claim rewards early">
      <Outcome state={state} />
      <input type="hidden" name="pageOrg" value={p.orgId} />
      <input type="hidden" name="idempotencyKey" value={p.idempotencyKey} />
      <input type="hidden" name="haircut" value={p.haircut} />
      {confirming ? (
        <div
          role="alertdialog"
          aria-labelledby="early-confirm-title"
          aria-describedby="early-confirm-body"
          className="grid gap-3 rounded-lg border border-line p-4"
          data-early-confirm
        >
          <p id="early-confirm-title" className="m-0 font-semibold">
            Claim everything now?
          </p>
          <p id="early-confirm-body" className="m-0 text-sm">
            You receive <strong data-early-paid>{formatTokens(p.paid)} tokens</strong> now. What has not vested yet loses a{" "}
            {p.haircutBps / 100} % haircut: <strong data-early-haircut>{formatTokens(p.haircut)} tokens</strong> go back to the emission
            pool, for good.
          </p>
          <div className="flex flex-wrap gap-2">
            <Button type="submit" variant="danger" disabled={pending} aria-busy={pending || undefined} data-action="confirm-early">
              {pending ? "Claiming…" : `Give up ${formatTokens(p.haircut)} and claim ${formatTokens(p.paid)}`}
            </Button>
            <Button type="button" variant="secondary" onClick={() => setConfirming(false)}>
              Cancel
            </Button>
          </div>
        </div>
      ) : (
        <div>
          <Button type="button" variant="secondary" disabled={nothing} onClick={() => setConfirming(true)} data-action="claim-early">
            Claim all now (early)…
          </Button>
        </div>
      )}
    </form>
  );
}
