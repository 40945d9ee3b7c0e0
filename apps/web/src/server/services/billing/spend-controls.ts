import { loadSpendControls, lockOrgSpend, type SpendControlsRow, sumMonthSpend } from "@proofgrid/db/billing/spend-controls";
import { repayDebtFromBalance } from "@proofgrid/db/ledger";
import { type SqlClient, sql, sqlTransaction } from "@proofgrid/db/sql-client";
import { AppError } from "../../errors.ts";
import { logger } from "../../logger.ts";
import { monthKey, raiseBillingAlert } from "./billing-alerts.ts";
import { formatTokenAmount } from "./tokens.ts";

// Spend controls at submit: an organisation that owes tokens (a card payment refunded or
// disputed after it was spent) submits nothing until the debt is paid, and a monthly spend
// cap, per organisation and per API key, refuses the job that would pass it. Both are 402s
// that say what to do.
//
// "Spend" this month is the price held for each of this month's jobs (UTC calendar month)
// that did not fail, expire or get canceled: what they can cost at most (settlement charges
// the hold or less). A cap is checked in the submit's own transaction under a per-
// organisation advisory lock, so concurrent submits cannot together pass it.

export interface SpendControls {
  /** Tokens (base units) owed; 0 when none. */
  owed: bigint;
  orgCap: bigint | null;
  keyCap: bigint | null;
  /** The organisation's queued jobs up to the asked limit (null when not asked). */
  queued: number | null;
}

/** One round trip (a submit that its guarded insert did not let through, a batch): the debt and both caps, and with `queuedLimit` the organisation's queued jobs (up to it). */
export async function readSpendControls(opts: { orgId: string; apiKeyId?: string | null; queuedLimit?: number }): Promise<SpendControls> {
  const r = await loadSpendControls(sql(), { orgId: opts.orgId, apiKeyId: opts.apiKeyId ?? null, queuedLimit: opts.queuedLimit });
  return spendControls(r);
}

/** The controls of a row of loadSpendControls's columns (a submit's guarded insert reads them too). */
export function spendControls(r: SpendControlsRow | null): SpendControls {
  const debt = BigInt(r?.debt ?? 0);
  return {
    owed: debt < 0n ? -debt : 0n,
    orgCap: r?.org_cap ? BigInt(r.org_cap) : null,
    keyCap: r?.key_cap ? BigInt(r.key_cap) : null,
    queued: r?.queued ?? null,
  };
}

/**
 * Refuses a submit while the organisation owes tokens, after paying the debt from its
 * available credits if they came back (a released hold): 402 DEBT_OUTSTANDING.
 */
export async function assertNoDebt(orgId: string, owed: bigint): Promise<void> {
  if (owed <= 0n) return;
  const { owed: left } = await sqlTransaction((tx) =>
    repayDebtFromBalance(tx, { orgId, idempotencyKey: `debt_repayment:${orgId}:${Date.now()}:${Math.random()}` }),
  );
  if (left <= 0n) return;
  throw new AppError(
    "DEBT_OUTSTANDING",
    `your organisation owes ${formatTokenAmount(left)} tokens: a card payment was refunded or disputed after its credits were spent. New jobs are paused until it is paid; buy credits on the billing page (they pay the debt first)`,
    { owedTokens: left.toString() },
  );
}

/**
 * Inside the submit's transaction, before the job is inserted: refuses it (402
 * SPEND_CAP_REACHED) when it would take this month's spend past a cap. Serialised per
 * organisation, so the check and the insert act as one.
 */
export async function enforceSpendCaps(
  tx: SqlClient,
  opts: { orgId: string; apiKeyId?: string | null; price: bigint; orgCap: bigint | null; keyCap: bigint | null },
): Promise<void> {
  if (opts.orgCap === null && opts.keyCap === null) return;
  await lockOrgSpend(tx, { orgId: opts.orgId });
  const check = async (cap: bigint, who: "organisation" | "key", apiKeyId: string | null) => {
    const spent = await sumMonthSpend(tx, { orgId: opts.orgId, apiKeyId });
    if (spent + opts.price <= cap) return;
    throw new AppError(
      "SPEND_CAP_REACHED",
      `this job (${formatTokenAmount(opts.price)} tokens) would take ${who === "key" ? "this API key's" : "your organisation's"} spend this month to ${formatTokenAmount(spent + opts.price)} tokens, past its monthly cap of ${formatTokenAmount(cap)} tokens. Raise the cap on the billing page, or wait for next month`,
      { scope: who, capTokens: cap.toString(), spentTokens: spent.toString(), priceTokens: opts.price.toString(), month: monthKey() },
    );
  };
  if (opts.keyCap !== null && opts.apiKeyId) await check(opts.keyCap, "key", opts.apiKeyId);
  if (opts.orgCap !== null) await check(opts.orgCap, "organisation", null);
}

/** After a refusal (its transaction rolled back): the owners hear of it once a month. */
export async function alertSpendCapReached(orgId: string, err: AppError): Promise<void> {
  const d = (err.details ?? {}) as { scope?: string; capTokens?: string; spentTokens?: string };
  const key = d.scope === "key";
  try {
    await sqlTransaction((tx) =>
      raiseBillingAlert(tx, {
        orgId,
        kind: key ? "key_spend_cap_reached" : "spend_cap_reached",
        periodKey: monthKey(),
        data: { capTokens: d.capTokens ?? null, spentTokens: d.spentTokens ?? null },
        subject: key ? "Proofgrid: an API key reached its monthly spend cap" : "Proofgrid: your monthly spend cap is reached",
        text: `${key ? "An API key of your organisation" : "Your organisation"} reached its monthly spend cap of ${formatTokenAmount(d.capTokens ?? "0")} tokens; new jobs are refused until the cap is raised or the month ends.`,
      }),
    );
  } catch (e) {
    logger.error({ err: e, orgId }, "spend cap alert not recorded");
  }
}
