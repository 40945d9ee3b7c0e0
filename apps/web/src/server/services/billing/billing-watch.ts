import { sql, sqlTransaction } from "@proofgrid/db/sql-client";
import { runAutoTopups } from "./auto-topup.ts";
import { monthKey, raiseBillingAlert } from "./billing-alerts.ts";
import { formatTokenAmount } from "./price.ts";
import { monthSpend } from "./spend-controls.ts";

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
  await sql().$executeRaw`
    UPDATE card_purchases SET status = 'failed', failure_message = 'the checkout session was never created', updated_at = now()
    WHERE kind = 'checkout' AND status = 'creating' AND created_at < now() - make_interval(hours => ${STALE_CHECKOUT_HOURS})`;
}

/** Low balance (once per fall below the threshold) and 80 % / 100 % of the monthly cap (once a month). */
export async function checkBalanceAlerts(): Promise<void> {
  const orgs = await sql().$queryRaw<
    { org_id: string; available: string | null; low_balance_threshold: string | null; low_balance_alerted: boolean; monthly_spend_cap: string | null }[]
  >`
    WITH picked AS (
      SELECT org_id FROM billing_settings
      WHERE low_balance_threshold IS NOT NULL OR monthly_spend_cap IS NOT NULL
      ORDER BY checked_at LIMIT ${ORGS_PER_TICK}
    ), touched AS (
      UPDATE billing_settings s SET checked_at = now() FROM picked WHERE s.org_id = picked.org_id
      RETURNING s.org_id, s.low_balance_threshold, s.low_balance_alerted, s.monthly_spend_cap
    )
    SELECT t.org_id, a.balance::text AS available, t.low_balance_threshold::text, t.low_balance_alerted, t.monthly_spend_cap::text
    FROM touched t LEFT JOIN ledger_accounts a ON a.code = 'org:' || t.org_id || ':available'`;
  for (const o of orgs) {
    const available = BigInt(o.available ?? 0);
    if (o.low_balance_threshold !== null) {
      const threshold = BigInt(o.low_balance_threshold);
      if (available < threshold && !o.low_balance_alerted) {
        await sqlTransaction(async (tx) => {
          const armed = await tx.$queryRaw<{ org_id: string }[]>`
            UPDATE billing_settings SET low_balance_alerted = true WHERE org_id = ${o.org_id}::uuid AND NOT low_balance_alerted RETURNING org_id`;
          if (armed.length === 0) return;
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
        await sql().$executeRaw`UPDATE billing_settings SET low_balance_alerted = false WHERE org_id = ${o.org_id}::uuid`;
      }
    }
    if (o.monthly_spend_cap !== null) {
      const cap = BigInt(o.monthly_spend_cap);
      const spent = await monthSpend(sql(), { orgId: o.org_id });
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
