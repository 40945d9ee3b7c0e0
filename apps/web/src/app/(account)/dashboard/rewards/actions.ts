"use server";

import { TRPCError } from "@trpc/server";
import { revalidatePath } from "next/cache";
import { formatTokens, parseTokens } from "~/server/services/billing/tokens";
import { formCaller, formFailure } from "../../form-action";

// The rewards page's forms, through the tRPC `rewards` procedures with the request's session,
// on the organisation the page shows (`pageOrg`, checked against the memberships).

export interface RewardFormState {
  error?: string;
  /** What the claim paid (base units) and its haircut, when it went through. */
  claimed?: { paid: string; haircut: string; kind: "vested" | "early" };
  values?: Record<string, string>;
}

const failure = (err: unknown, values: Record<string, string>): RewardFormState => ({
  ...formFailure(err, { invalidInput: "summary", instead: { FORBIDDEN: "Only the organisation's owners claim rewards." } }),
  values,
});

/** A claim of what has vested: all of it, or `tokens` of it. The page's key makes a double submit one claim. */
export async function claimVestedAction(_prev: RewardFormState, form: FormData): Promise<RewardFormState> {
  const tokens = String(form.get("tokens") ?? "").trim();
  const values = { tokens };
  let amount: bigint | null = null;
  if (tokens) {
    amount = parseTokens(tokens);
    if (amount === null)
      return { error: "Enter a number of tokens, such as 25 or 2.5 (at most 6 decimals), or leave it empty to claim all.", values };
  }
  try {
    const res = await (await formCaller(form)).rewards.claim({
      kind: "vested",
      amount: amount === null ? undefined : amount.toString(),
      idempotencyKey: String(form.get("idempotencyKey") ?? "") || undefined,
    });
    revalidatePath("/dashboard/rewards");
    return { claimed: { paid: res.claim.paid, haircut: res.claim.haircut, kind: "vested" } };
  } catch (err) {
    return failure(err, values);
  }
}

/** An early claim of everything left, confirmed with the haircut the provider was shown. */
export async function claimEarlyAction(_prev: RewardFormState, form: FormData): Promise<RewardFormState> {
  const haircut = String(form.get("haircut") ?? "");
  if (!/^[0-9]{1,19}$/.test(haircut)) return { error: "Review the haircut and confirm again." };
  try {
    const res = await (await formCaller(form)).rewards.claim({
      kind: "early",
      haircut,
      idempotencyKey: String(form.get("idempotencyKey") ?? "") || undefined,
    });
    revalidatePath("/dashboard/rewards");
    return { claimed: { paid: res.claim.paid, haircut: res.claim.haircut, kind: "early" } };
  } catch (err) {
    revalidatePath("/dashboard/rewards");
    if (err instanceof TRPCError && err.code === "CONFLICT" && /haircut is now/.test(err.message)) {
      return {
        error: `New rewards arrived since the page was shown: the haircut is now more than the ${formatTokens(haircut)} tokens you confirmed. Review the new amounts and confirm again.`,
      };
    }
    return failure(err, {});
  }
}
