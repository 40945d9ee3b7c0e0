"use server";

import { revalidatePath } from "next/cache";
import { parseTokens } from "~/server/services/billing/tokens";
import { type FailureWords, type FormState, formCaller, formFailure } from "../../form-action";

// The payouts page's forms, through the tRPC `payouts` procedures with the request's session,
// on the organisation the page shows (`pageOrg`, checked against the memberships).

export interface PayoutFormState extends FormState {
  /** Step two of proving an address: the message to sign. */
  challenge?: { challengeId: string; address: string; message: string; expiresAt: string };
  /** A withdrawal was requested (its id). */
  requested?: string;
  saved?: boolean;
  values?: Record<string, string>;
}

/** These forms mark no field: the API's objection to the input is said in the summary. */
const PAYOUT_WORDS: FailureWords = {
  invalidInput: "summary",
  instead: { FORBIDDEN: "Only the organisation's owners set its payout address and withdraw." },
};

/** Step one: the address → a message to sign with its key. Step two: the signature → the address is set. */
export async function payoutAddressAction(prev: PayoutFormState, form: FormData): Promise<PayoutFormState> {
  const address = String(form.get("address") ?? "").trim();
  const signature = String(form.get("signature") ?? "").trim();
  const challengeId = String(form.get("challengeId") ?? "");
  const values = { address, signature };
  const api = await formCaller(form);
  if (challengeId && prev.challenge?.challengeId === challengeId) {
    if (!signature) return { challenge: prev.challenge, error: "Paste the signature your wallet made.", values };
    try {
      await api.payouts.verifyAddress({ challengeId, signature });
    } catch (err) {
      return { challenge: prev.challenge, ...formFailure(err, PAYOUT_WORDS), values };
    }
    revalidatePath("/dashboard/payouts");
    return { saved: true };
  }
  if (!address) return { error: "Enter the address to be paid (0x followed by 40 hexadecimal characters).", values };
  try {
    const c = await api.payouts.createChallenge({ address });
    return {
      challenge: { challengeId: c.challengeId, address: c.address, message: c.message, expiresAt: new Date(c.expiresAt).toISOString() },
      values,
    };
  } catch (err) {
    return { ...formFailure(err, PAYOUT_WORDS), values };
  }
}

/** A withdrawal of `tokens` (decimal tokens) to the proven address; the page's key makes a double submit one withdrawal. */
export async function withdrawAction(_prev: PayoutFormState, form: FormData): Promise<PayoutFormState> {
  const tokens = String(form.get("tokens") ?? "").trim();
  const values = { tokens };
  const amount = parseTokens(tokens);
  if (amount === null) return { error: "Enter a number of tokens, such as 25 or 2.5 (at most 6 decimals).", values };
  try {
    const res = await (await formCaller(form)).payouts.withdraw({
      amount: amount.toString(),
      idempotencyKey: String(form.get("idempotencyKey") ?? "") || undefined,
    });
    revalidatePath("/dashboard/payouts");
    return { requested: res.withdrawal.id };
  } catch (err) {
    return { ...formFailure(err, PAYOUT_WORDS), values };
  }
}
