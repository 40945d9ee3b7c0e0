"use server";

import { TRPCError } from "@trpc/server";
import { revalidatePath } from "next/cache";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { z } from "zod";
import { createCaller } from "~/server/api/root";
import { createTRPCContext } from "~/server/api/trpc";

// The billing page's forms, through the tRPC procedures with the request's session, acting
// on the organisation the page shows (`pageOrg`, checked against the memberships).

async function caller(form: FormData) {
  const pageOrg = form.get("pageOrg");
  return createCaller(await createTRPCContext({ headers: await headers(), orgId: typeof pageOrg === "string" && pageOrg ? pageOrg : null }));
}

export interface BillingFormState {
  error?: string;
  fieldErrors?: Record<string, string | undefined>;
  saved?: boolean;
  /** What was typed, sent back with an error so the form keeps it. */
  values?: Record<string, string>;
}

function failure(err: unknown, values: Record<string, string>): BillingFormState {
  if (err instanceof TRPCError) {
    if (err.cause instanceof z.ZodError) {
      const flat = z.flattenError(err.cause);
      return {
        error: "Check the highlighted fields.",
        fieldErrors: Object.fromEntries(Object.entries(flat.fieldErrors).map(([k, v]) => [k, (v as string[] | undefined)?.[0]])),
        values,
      };
    }
    if (err.code === "UNAUTHORIZED") return { error: "Your session has ended. Sign in again, then retry.", values };
    return { error: err.message, values };
  }
  return { error: "Something went wrong on our side. Try again in a moment.", values };
}

/** Starts Stripe Checkout for the chosen pack or custom amount and sends the buyer there. */
export async function buyCreditsAction(_prev: BillingFormState, form: FormData): Promise<BillingFormState> {
  const choice = String(form.get("pack") ?? "");
  const custom = String(form.get("customTokens") ?? "").trim();
  const values = { pack: choice, customTokens: custom, saveCard: form.get("saveCard") ? "on" : "" };
  const tokens = choice === "custom" ? custom : choice;
  if (choice === "custom" && custom === "") return { error: "Check the highlighted fields.", fieldErrors: { tokens: "Enter how many tokens to buy." }, values };
  let url: string | null;
  try {
    const view = await (await caller(form)).billing.checkout({
      tokens,
      saveCard: form.get("saveCard") === "on",
      idempotencyKey: String(form.get("idempotencyKey") ?? "") || undefined,
    });
    url = view.url;
    if (!url) return { error: view.status === "paid" ? "This purchase is already paid: see the history below." : "This checkout has expired: reload the page and start again.", values };
  } catch (err) {
    return failure(err, values);
  }
  redirect(url);
}

const blankToNull = (v: FormDataEntryValue | null) => {
  const s = String(v ?? "").trim();
  return s === "" ? null : s;
};

/** The spend cap, the low-balance alert and auto top-up (owners). */
export async function saveBillingSettingsAction(_prev: BillingFormState, form: FormData): Promise<BillingFormState> {
  const values = {
    monthlySpendCap: String(form.get("monthlySpendCap") ?? ""),
    lowBalanceThreshold: String(form.get("lowBalanceThreshold") ?? ""),
    autoTopupThreshold: String(form.get("autoTopupThreshold") ?? ""),
    autoTopupAmount: String(form.get("autoTopupAmount") ?? ""),
    autoTopupEnabled: form.get("autoTopupEnabled") ? "on" : "",
  };
  try {
    await (await caller(form)).billing.updateSettings({
      monthlySpendCap: blankToNull(form.get("monthlySpendCap")),
      lowBalanceThreshold: blankToNull(form.get("lowBalanceThreshold")),
      autoTopupThreshold: blankToNull(form.get("autoTopupThreshold")),
      autoTopupAmount: blankToNull(form.get("autoTopupAmount")),
      autoTopupEnabled: form.get("autoTopupEnabled") === "on",
    });
  } catch (err) {
    return failure(err, values);
  }
  revalidatePath("/dashboard/billing");
  return { saved: true };
}
