"use client";

import { useRouter } from "next/navigation";
import { useActionState, useEffect, useState } from "react";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { Field, FieldError, FieldHint, Input, Label, Textarea } from "~/components/ui/field";
import { useFocusOnError } from "~/components/ui/use-focus-on-error";
import { formatTokens, parseTokens } from "~/server/services/billing/tokens";
import { feeFor } from "~/server/services/payouts/fee";
import { type PayoutFormState, payoutAddressAction, withdrawAction } from "./actions";

/**
 * Proving a payout address in two steps: the address gives a message; the wallet that holds
 * the address signs it (EIP-191 personal_sign) and the signature is pasted back.
 */
export function PayoutAddressForm({ orgId, current }: { orgId: string; current: string | null }) {
  const [state, action, pending] = useActionState<PayoutFormState, FormData>(payoutAddressAction, {});
  const errorRef = useFocusOnError(state);
  const challenge = state.challenge;
  return (
    <form action={action} className="grid gap-4" aria-label="Payout address">
      {state.error ? (
        <Alert tabIndex={-1} ref={errorRef}>
          {state.error}
        </Alert>
      ) : null}
      {state.saved ? (
        <Alert tone="success" role="status">
          Payout address verified. Withdrawals are paid to it from now on.
        </Alert>
      ) : null}
      <input type="hidden" name="pageOrg" value={orgId} />
      {challenge ? (
        <>
          <input type="hidden" name="challengeId" value={challenge.challengeId} />
          <Field>
            <Label htmlFor="payout-message">Message to sign for {challenge.address}</Label>
            <Textarea id="payout-message" readOnly value={challenge.message} rows={10} className="font-mono text-xs" />
            <FieldHint>
              Sign it with the wallet that holds this address: MetaMask and most wallets call this &ldquo;personal sign&rdquo;; with
              Foundry, <code>cast wallet sign &quot;$(cat message.txt)&quot;</code>. Signing sends no transaction and costs nothing. It
              expires at {challenge.expiresAt.slice(11, 16)} UTC.
            </FieldHint>
          </Field>
          <Field>
            <Label htmlFor="payout-signature">Signature</Label>
            <Input
              id="payout-signature"
              name="signature"
              autoComplete="off"
              spellCheck={false}
              placeholder="0x…"
              defaultValue={state.values?.signature ?? ""}
              className="font-mono"
            />
          </Field>
          <div>
            <Button type="submit" disabled={pending} aria-busy={pending || undefined}>
              {pending ? "Checking…" : "Verify signature"}
            </Button>
          </div>
        </>
      ) : (
        <>
          <Field>
            <Label htmlFor="payout-address">{current ? "Pay to another address" : "Address to be paid"}</Label>
            <Input
              id="payout-address"
              name="address"
              autoComplete="off"
              spellCheck={false}
              placeholder="0x…"
              defaultValue={state.values?.address ?? ""}
              className="font-mono sm:max-w-[30rem]"
              aria-describedby="payout-address-hint"
            />
            <FieldHint id="payout-address-hint">
              An Ethereum address whose key you hold (not an exchange deposit address or a contract wallet).
            </FieldHint>
          </Field>
          <div>
            <Button type="submit" disabled={pending} aria-busy={pending || undefined}>
              {pending ? "Preparing…" : "Get the message to sign"}
            </Button>
          </div>
        </>
      )}
    </form>
  );
}

interface WithdrawProps {
  orgId: string;
  available: string;
  minimum: string;
  maximum: string;
  flatFee: string;
  feeBps: number;
  /** Made when the page was rendered: a double submit makes one withdrawal. */
  idempotencyKey: string;
}

/** An amount in tokens, its fee and what arrives shown as it is typed. */
export function WithdrawForm(p: WithdrawProps) {
  const [state, action, pending] = useActionState<PayoutFormState, FormData>(withdrawAction, {});
  const errorRef = useFocusOnError(state);
  const [tokens, setTokens] = useState(state.values?.tokens ?? "");
  const amount = parseTokens(tokens);
  const fee = amount === null ? null : feeFor(amount, { fee: BigInt(p.flatFee), feeBps: p.feeBps });
  const outOfRange = amount !== null && (amount < BigInt(p.minimum) || amount > BigInt(p.maximum) || amount > BigInt(p.available));
  return (
    <form action={action} className="grid gap-4" aria-label="Withdraw">
      {state.error ? (
        <Alert tabIndex={-1} ref={errorRef}>
          {state.error}
        </Alert>
      ) : null}
      {state.requested ? (
        <Alert tone="success" role="status">
          Withdrawal requested. It is paid on chain in the next minutes; follow it in the history below.
        </Alert>
      ) : null}
      <input type="hidden" name="pageOrg" value={p.orgId} />
      <input type="hidden" name="idempotencyKey" value={p.idempotencyKey} />
      <Field>
        <Label htmlFor="withdraw-tokens">Tokens to withdraw</Label>
        <Input
          id="withdraw-tokens"
          name="tokens"
          inputMode="decimal"
          autoComplete="off"
          value={tokens}
          onChange={(e) => setTokens(e.currentTarget.value)}
          aria-describedby="withdraw-tokens-hint"
          aria-invalid={outOfRange || undefined}
          className="max-w-[14rem]"
        />
        <FieldHint id="withdraw-tokens-hint">
          {formatTokens(p.available)} available; {formatTokens(p.minimum)} to {formatTokens(p.maximum)} per withdrawal.{" "}
          {amount !== null && fee !== null
            ? `Fee ${formatTokens(fee)}; ${amount > fee ? formatTokens(amount - fee) : "0"} tokens arrive.`
            : null}
        </FieldHint>
        {outOfRange ? <FieldError>That amount is outside what you can withdraw now.</FieldError> : null}
      </Field>
      <div>
        <Button type="submit" disabled={pending} aria-busy={pending || undefined}>
          {pending ? "Requesting…" : "Withdraw"}
        </Button>
      </div>
    </form>
  );
}

/** While a withdrawal is being paid, the page refreshes itself so its state moves without a reload. */
export function RefreshWhilePending({ pending, everyMs = 3_000 }: { pending: boolean; everyMs?: number }) {
  const router = useRouter();
  useEffect(() => {
    if (!pending) return;
    const t = setInterval(() => router.refresh(), everyMs);
    return () => clearInterval(t);
  }, [pending, everyMs, router]);
  return null;
}
