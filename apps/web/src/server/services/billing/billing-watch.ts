import { clearLowBalanceAlerted, markLowBalanceAlerted, pickOrgsToWatch } from "@proofgrid/db/billing/balance-watch";
import { failStaleCheckouts } from "@proofgrid/db/billing/checkouts";
import { sumMonthSpend } from "@proofgrid/db/billing/spend-controls";
import { sql, sqlTransaction } from "@proofgrid/db/sql-client";
import { runAutoTopups } from "./auto-topup.ts";
import { monthKey, raiseBillingAlert } from "./billing-alerts.ts";
import { formatTokenAmount } from "./tokens.ts";

// The coordinator's billing loop (leader only, every BILLING_WATCH_INTERVAL_MS): due auto
// top-ups, low-balance and spend-cap alerts, and Checkout rows that never reached Stripe.
// Each tick looks at the ORGS_PER_TICK organisations it looked at least recently, so a large
// platform is covered in turns, never in one long pass.

const ORGS_PER_TICK = 200;
/** A checkout row still `creating` after a day never got its session (Stripe refused or the process died). */
const STALE_CHECKOUT_HOURS = 24;

export async function runBillingWatch(): Promise<void> {
  await runAutoTopups();
  await checkBalanceAlerts();
  await failStaleCheckouts(sql(), { staleHours: STALE_CHECKOUT_HOURS });
}

/** Low balance (once per fall below the threshold) and 80 % / 100 % of the monthly cap (once a month). */
export async function checkBalanceAlerts(): Promise<void> {
  const orgs = await pickOrgsToWatch(sql(), { limit: ORGS_PER_TICK });
  for (const o of orgs) {
    const available = BigInt(o.available ?? 0);
    if (o.low_balance_threshold !== null) {
      const threshold = BigInt(o.low_balance_threshold);
      if (available < threshold && !o.low_balance_alerted) {
        await sqlTransaction(async (tx) => {
          if (!(await markLowBalanceAlerted(tx, { orgId: o.org_id }))) return;
          await raiseBillingAlert(tx, {
            orgId: o.org_id,
            kind: "low_balance",
            periodKey: new Date().toISOString(),
            data: { availableTokens: available.toString(), thresholdTokens: threshold.toString() },
            subject: "Proofgrid: your credits are running low",
            text: `Your organisation has ${formatTokenAmount(available)} tokens of credit left, below the ${formatTokenAmount(threshold)} you asked to be told about. Jobs stop when credits run out: buy credits, or turn on automatic top-up.`,
          });
        });
      } else if (available >= threshold && o.low_balance_alerted) {
        await clearLowBalanceAlerted(sql(), { orgId: o.org_id });
      }
    }
    if (o.monthly_spend_cap !== null) {
      const cap = BigInt(o.monthly_spend_cap);
      const spent = await sumMonthSpend(sql(), { orgId: o.org_id });
      if (spent * 10n >= cap * 8n) {
        const reached = spent >= cap;
        await sqlTransaction((tx) =>
          raiseBillingAlert(tx, {
            orgId: o.org_id,
            kind: reached ? "spend_cap_reached" : "spend_cap_80",
            periodKey: monthKey(),
            data: { spentTokens: spent.toString(), capTokens: cap.toString() },
            subject: reached ? "Proofgrid: your monthly spend cap is reached" : "Proofgrid: 80 % of your monthly spend cap is used",
            text: `Your organisation has spent ${formatTokenAmount(spent)} of its ${formatTokenAmount(cap)}-token monthly cap${
              reached ? "; new jobs are refused until the cap is raised or the month ends" : ""
            }.`,
          }),
        );
      }
    }
  }
}
