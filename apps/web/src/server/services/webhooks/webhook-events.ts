import { randomUUID } from "node:crypto";
import type { Db } from "@proofgrid/db/db-types";
import { selectJobView } from "@proofgrid/db/jobs";
import { insertWebhookEvent, selectSubscribedWebhookEndpointIds } from "@proofgrid/db/webhooks/webhook-outbox";
import { z } from "zod";
import { getEnv } from "../../env.ts";
import { logger } from "../../logger.ts";
import { trustedOrigins } from "../../request-origin.ts";
import type { BillingAlert } from "../billing/billing-alerts.ts";
import { type JobView, toJobView } from "../jobs/job-view.ts";

// The outbox side of webhooks: an event is written in the transaction of what it reports
// (the job's completion, failure or refund; the billing alert), with one pending delivery per
// subscribed endpoint, so it exists exactly when its cause committed. The coordinator's loop
// (deliver-webhooks.ts) sends it. An organisation with no endpoint for the type pays one
// indexed read and writes nothing.

export const WEBHOOK_EVENT_TYPES = ["job.succeeded", "job.failed", "job.refunded", "credits.low"] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
/** Sent only by "send test event", to the one endpoint; no endpoint subscribes to it. */
export const WEBHOOK_TEST_EVENT = "webhook.test";

export const ZWebhookEventType = z.enum(WEBHOOK_EVENT_TYPES);

/** What every delivery's body is (Standard Webhooks' recommended shape). */
export interface WebhookPayload<D = unknown> {
  type: WebhookEventType | typeof WEBHOOK_TEST_EVENT;
  /** When it happened (ISO 8601). */
  timestamp: string;
  data: D;
}

/** A job event's `job`: the job as GET /api/v1/jobs/:id shows it (no output, no queue), with its receipt's URL. */
export type WebhookJob = Omit<JobView, "output" | "queue"> & { receiptUrl: string };

/** Where the job's receipt and verification are read: absolute when the public URL is known. */
export function receiptUrlOf(jobId: string): string {
  const base = (getEnv().PROOFGRID_URL ?? trustedOrigins()[0] ?? "").replace(/\/$/, "");
  return `${base}/api/v1/jobs/${jobId}/verification`;
}

/**
 * Queues `type` for the job, in `tx` (the transaction that moved the job to that state or
 * refunded it): call it after every change the event reports, so the job it carries is the
 * committed one. Returns the event's id (its `webhook-id`), or null when no endpoint of the
 * organisation receives the type.
 */
export async function enqueueJobWebhook(
  tx: Db,
  opts: { orgId: string; jobId: string; type: "job.succeeded" | "job.failed" | "job.refunded" },
): Promise<string | null> {
  const endpointIds = await selectSubscribedWebhookEndpointIds(tx, { orgId: opts.orgId, type: opts.type });
  if (endpointIds.length === 0) return null;
  const row = await selectJobView(tx, { orgId: opts.orgId, jobId: opts.jobId, withOutput: false });
  if (!row) return null;
  const job: WebhookJob = { ...toJobView(row), receiptUrl: receiptUrlOf(row.id) };
  return insertEvent(tx, { orgId: opts.orgId, type: opts.type, data: { job }, endpointIds });
}

/** Queues an event of any type with `data` to the given endpoints of the organisation (test events). */
export async function insertEvent(
  tx: Db,
  opts: { orgId: string; type: WebhookPayload["type"]; data: unknown; endpointIds: string[] },
): Promise<string> {
  const id = randomUUID();
  const payload: WebhookPayload = { type: opts.type, timestamp: new Date().toISOString(), data: opts.data };
  const body = JSON.stringify(payload, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
  const deliveries = await insertWebhookEvent(tx, { id, orgId: opts.orgId, type: opts.type, body, endpointIds: opts.endpointIds });
  logger.info({ eventId: id, orgId: opts.orgId, type: opts.type, deliveries }, "webhook event queued");
  return id;
}

/**
 * The billing alerts' sink (billing-alerts.ts): a low balance is `credits.low`, with the
 * balance and the threshold in base units as decimal strings. Other alerts have no event yet.
 */
export async function billingAlertWebhook(tx: Db, alert: BillingAlert): Promise<void> {
  if (alert.kind !== "low_balance") return;
  const endpointIds = await selectSubscribedWebhookEndpointIds(tx, { orgId: alert.orgId, type: "credits.low" });
  if (endpointIds.length === 0) return;
  const data = {
    organizationId: alert.orgId,
    alertId: alert.id,
    available: String(alert.data.availableTokens ?? ""),
    threshold: String(alert.data.thresholdTokens ?? ""),
  };
  await insertEvent(tx, { orgId: alert.orgId, type: "credits.low", data, endpointIds });
}
