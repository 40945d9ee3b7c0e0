"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { type FormState, fieldsFailure, formCaller, formFailure } from "../../form-action";

// The billing page's forms, through the tRPC procedures with the request's session, acting
// on the organisation the page shows (`pageOrg`, checked against the memberships).

export interface BillingFormState extends FormState {
  saved?: boolean;
  /** What was typed, sent back with an error so the form keeps it. */
  values?: Record<string, string>;
}

/** Starts Stripe Checkout for the chosen pack or custom amount and sends the buyer there. */
export async function buyCreditsAction(_prev: BillingFormState, form: FormData): Promise<BillingFormState> {
  const choice = String(form.get("pack") ?? "");
  const custom = String(form.get("customTokens") ?? "").trim();
  const values = { pack: choice, customTokens: custom, saveCard: form.get("saveCard") ? "on" : "" };
  const tokens = choice === "custom" ? custom : choice;
  if (choice === "custom" && custom === "") return { ...fieldsFailure({ tokens: "Enter how many tokens to buy." }), values };
  let url: string | null;
  try {
    const view = await (await formCaller(form)).billing.checkout({
      tokens,
      saveCard: form.get("saveCard") === "on",
      idempotencyKey: String(form.get("idempotencyKey") ?? "") || undefined,
    });
    url = view.url;
    if (!url)
      return {
        error:
          view.status === "paid"
            ? "This purchase is already paid: see the history below."
            : "This checkout has expired: reload the page and start again.",
        values,
      };
  } catch (err) {
    return { ...formFailure(err), values };
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
    await (await formCaller(form)).billing.updateSettings({
      monthlySpendCap: blankToNull(form.get("monthlySpendCap")),
      lowBalanceThreshold: blankToNull(form.get("lowBalanceThreshold")),
      autoTopupThreshold: blankToNull(form.get("autoTopupThreshold")),
      autoTopupAmount: blankToNull(form.get("autoTopupAmount")),
      autoTopupEnabled: form.get("autoTopupEnabled") === "on",
    });
  } catch (err) {
    return { ...formFailure(err), values };
  }
  revalidatePath("/dashboard/billing");
  return { saved: true };
}
