"use server";

import { TRPCError } from "@trpc/server";
import { revalidatePath } from "next/cache";
import { headers } from "next/headers";
import { z } from "zod";
import { createCaller } from "~/server/api/root";
import { createTRPCContext } from "~/server/api/trpc";
import { parseTokens } from "~/server/services/billing/tokens";

// The payouts page's forms, through the tRPC `payouts` procedures with the request's session,
// on the organisation the page shows (`pageOrg`, checked against the memberships).

async function caller(form: FormData) {
  const pageOrg = form.get("pageOrg");
  return createCaller(
    await createTRPCContext({ headers: await headers(), orgId: typeof pageOrg === "string" && pageOrg ? pageOrg : null }),
  );
}

export interface PayoutFormState {
  error?: string;
  /** Step two of proving an address: the message to sign. */
  challenge?: { challengeId: string; address: string; message: string; expiresAt: string };
  /** A withdrawal was requested (its id). */
  requested?: string;
  saved?: boolean;
  values?: Record<string, string>;
}

function failure(err: unknown, values: Record<string, string>, keep: Partial<PayoutFormState> = {}): PayoutFormState {
  if (err instanceof TRPCError) {
    if (err.cause instanceof z.ZodError) return { ...keep, error: z.prettifyError(err.cause), values };
    if (err.code === "UNAUTHORIZED") return { ...keep, error: "Your session has ended. Sign in again, then retry.", values };
    if (err.code === "FORBIDDEN") return { ...keep, error: "Only the organisation's owners set its payout address and withdraw.", values };
    return { ...keep, error: err.message, values };
  }
  return { ...keep, error: "Something went wrong on our side. Try again in a moment.", values };
}

/** Step one: the address → a message to sign with its key. Step two: the signature → the address is set. */
export async function payoutAddressAction(prev: PayoutFormState, form: FormData): Promise<PayoutFormState> {
  const address = String(form.get("address") ?? "").trim();
  const signature = String(form.get("signature") ?? "").trim();
  const challengeId = String(form.get("challengeId") ?? "");
  const values = { address, signature };
  const api = await caller(form);
  if (challengeId && prev.challenge?.challengeId === challengeId) {
    if (!signature) return { challenge: prev.challenge, error: "Paste the signature your wallet made.", values };
    try {
      await api.payouts.verifyAddress({ challengeId, signature });
    } catch (err) {
      return failure(err, values, { challenge: prev.challenge });
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
    return failure(err, values);
  }
}

/** A withdrawal of `tokens` (decimal tokens) to the proven address; the page's key makes a double submit one withdrawal. */
export async function withdrawAction(_prev: PayoutFormState, form: FormData): Promise<PayoutFormState> {
  const tokens = String(form.get("tokens") ?? "").trim();
  const values = { tokens };
  const amount = parseTokens(tokens);
  if (amount === null) return { error: "Enter a number of tokens, such as 25 or 2.5 (at most 6 decimals).", values };
  try {
    const res = await (await caller(form)).payouts.withdraw({
      amount: amount.toString(),
      idempotencyKey: String(form.get("idempotencyKey") ?? "") || undefined,
    });
    revalidatePath("/dashboard/payouts");
    return { requested: res.withdrawal.id };
  } catch (err) {
    return failure(err, values);
  }
}
