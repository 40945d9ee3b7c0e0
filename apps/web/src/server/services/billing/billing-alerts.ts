import { insertBillingAlert, queueOwnerAlertEmails } from "@proofgrid/db/billing/billing-alerts";
import type { SqlClient } from "@proofgrid/db/sql-client";
import { getEnv } from "../../env.ts";
import { logger } from "../../logger.ts";
import { billingAlertWebhook } from "../webhooks/webhook-events.ts";

// Billing alerts: a low balance, a spend cap reached (or 80 % of it), a declined top-up.
// Each is recorded once in billing_alerts (unique per organisation, kind and period: a
// monthly cap alert goes out once a month) in the caller's transaction, and handed to every
// sink in that transaction, so an alert exists exactly when its messages do.
//
// Sinks: the owners' email (the outbox the coordinator delivers) and webhooks (a low
// balance is `credits.low`, queued in the webhook outbox in the same transaction).

export type BillingAlertKind =
  | "low_balance"
  | "spend_cap_80"
  | "spend_cap_reached"
  | "key_spend_cap_reached"
  | "auto_topup_failed"
  | "debt";

export interface BillingAlert {
  id: string;
  orgId: string;
  kind: BillingAlertKind;
  periodKey: string;
  /** What happened, for the message: amounts as decimal strings. */
  data: Record<string, string | number | boolean | null>;
  /** A one-line subject and a plain-text body a person can act on. */
  subject: string;
  text: string;
}

export type BillingAlertSink = (tx: SqlClient, alert: BillingAlert) => Promise<void>;

/** At most this many owners are emailed per alert (the people who can change billing). */
const MAX_RECIPIENTS = 20;

const emailOwners: BillingAlertSink = async (tx, alert) => {
  const base = (getEnv().PROOFGRID_URL ?? "").replace(/\/$/, "");
  const link = base ? `\n\nBilling: ${base}/dashboard/billing?org=${alert.orgId}` : "\n\nOpen Billing in the Proofgrid dashboard.";
  await queueOwnerAlertEmails(tx, { orgId: alert.orgId, subject: alert.subject, body: alert.text + link, maxRecipients: MAX_RECIPIENTS });
};

// Webhooks (issue 16): credits.low to the endpoints that receive it, in the same transaction.
const sinks: BillingAlertSink[] = [emailOwners, billingAlertWebhook];

/** For issue 16's webhook delivery: one more place every billing alert goes. */
export function registerBillingAlertSink(sink: BillingAlertSink): void {
  if (!sinks.includes(sink)) sinks.push(sink);
}

/**
 * Records the alert unless one of this kind and period exists, and hands it to every sink,
 * inside `tx`. Returns whether it was new.
 */
export async function raiseBillingAlert(tx: SqlClient, alert: Omit<BillingAlert, "id">): Promise<boolean> {
  const id = await insertBillingAlert(tx, { orgId: alert.orgId, kind: alert.kind, periodKey: alert.periodKey, data: alert.data });
  if (!id) return false;
  for (const sink of sinks) await sink(tx, { ...alert, id });
  logger.info({ orgId: alert.orgId, kind: alert.kind, periodKey: alert.periodKey }, "billing alert");
  return true;
}

/** "2026-12": the calendar month (UTC) a monthly cap counts. */
export function monthKey(at: Date = new Date()): string {
  return at.toISOString().slice(0, 7);
}
