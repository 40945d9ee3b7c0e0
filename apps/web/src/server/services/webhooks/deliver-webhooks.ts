import { sql } from "@proofgrid/db/sql-client";
import {
  type ClaimedWebhookDeliveryRow,
  claimDueWebhookDeliveries,
  purgeWebhookEvents,
  recordWebhookAttempt,
} from "@proofgrid/db/webhooks/webhook-outbox";
import { Webhook } from "standardwebhooks";
import { getEnv } from "../../env.ts";
import { logger } from "../../logger.ts";
import { outboundRequest } from "../../http/outbound.ts";

// The coordinator's webhook delivery loop. Each tick claims due deliveries in one statement
// (FOR UPDATE SKIP LOCKED, the claim moving their next attempt CLAIM_S ahead), posts each
// with no transaction open, and records the outcome: a 2xx is delivered; anything else
// (another status, a timeout, a refused connection, a private address) is retried after
// RETRY_DELAYS_S, and given up (failed) after the last. Every attempt of one delivery
// carries the same `webhook-id` (the event's id) and is signed afresh with the attempt's
// `webhook-timestamp`, so receivers deduplicate on the id. A crash between the post and its
// record sends that delivery again once its claim runs out: delivery is at least once.

/** Waits after failed attempts 1, 2, …: 5 s, 30 s, 2 min, 10 min, 1 h, 3 h, 6 h, 12 h. The
 * ninth attempt comes about 22 h after the first; if it fails too the delivery is failed. */
export const RETRY_DELAYS_S = [5, 30, 120, 600, 3_600, 10_800, 21_600, 43_200] as const;
export const MAX_ATTEMPTS = RETRY_DELAYS_S.length + 1;
/** A claimed delivery is not taken again for this long: longer than any post (WEBHOOK_TIMEOUT_MS ≤ 30 s). */
export const CLAIM_S = 60;
/** Deliveries claimed and posted at once, and batches per tick. */
const BATCH = 20;
const MAX_BATCHES_PER_TICK = 5;
/** The receiver's answer is read up to this many bytes; the first MAX_LOGGED_BYTES are logged. */
const MAX_RESPONSE_BYTES = 64 * 1_024;
const MAX_LOGGED_BYTES = 1_024;

export interface PostResult {
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  /** The first bytes of the answer (text). */
  response: string | null;
}

/** The headers a delivery carries: Standard Webhooks' three, signed with every secret given. */
export function signedHeaders(opts: { eventId: string; body: string; secrets: string[]; at: Date }): Record<string, string> {
  const signatures = opts.secrets.map((s) => new Webhook(s).sign(opts.eventId, opts.at, opts.body));
  return {
    "content-type": "application/json",
    "user-agent": "Proofgrid-Webhooks/1",
    "webhook-id": opts.eventId,
    "webhook-timestamp": String(Math.floor(opts.at.getTime() / 1000)),
    // Space-separated: during a rotation the receiver may hold either secret.
    "webhook-signature": signatures.join(" "),
  };
}

/**
 * Posts the body with the headers: at most `timeoutMs` for the whole exchange, no redirect
 * followed, the answer read up to MAX_RESPONSE_BYTES (http/outbound.ts). Never throws: the
 * outcome is the result.
 */
export async function postWebhook(opts: {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  allowLocal: boolean;
}): Promise<PostResult> {
  const r = await outboundRequest({ method: "POST", ...opts, maxBytes: MAX_RESPONSE_BYTES });
  const text = r.body.subarray(0, MAX_LOGGED_BYTES).toString("utf8");
  return { statusCode: r.statusCode, latencyMs: r.latencyMs, error: r.error, response: r.error ? null : text || null };
}

/** What happens to a delivery after an attempt, and when it is tried again. */
export function nextStep(opts: { attempt: number; ok: boolean }): { outcome: "delivered" | "pending" | "failed"; retryInS: number } {
  if (opts.ok) return { outcome: "delivered", retryInS: 0 };
  const wait = RETRY_DELAYS_S[opts.attempt - 1];
  return wait === undefined ? { outcome: "failed", retryInS: 0 } : { outcome: "pending", retryInS: wait };
}

/** Posts one claimed delivery (or refuses it when its endpoint is disabled). */
export async function attemptDelivery(d: ClaimedWebhookDeliveryRow): Promise<PostResult> {
  const env = getEnv();
  if (!d.enabled) return { statusCode: null, latencyMs: 0, error: "endpoint disabled", response: null };
  const secrets = d.previous_secret ? [d.secret, d.previous_secret] : [d.secret];
  return postWebhook({
    url: d.url,
    headers: signedHeaders({ eventId: d.event_id, body: d.body, secrets, at: new Date() }),
    body: d.body,
    timeoutMs: env.WEBHOOK_TIMEOUT_MS,
    allowLocal: env.WEBHOOK_ALLOW_LOCAL_URLS === "1",
  });
}

/** Records an attempt's result: delivered, retried later, or given up. */
export async function recordDelivery(d: ClaimedWebhookDeliveryRow, r: PostResult): Promise<void> {
  const ok = r.statusCode !== null && r.statusCode >= 200 && r.statusCode < 300;
  // A disabled endpoint's delivery is not retried: it would only fail again.
  const step = !d.enabled ? { outcome: "failed" as const, retryInS: 0 } : nextStep({ attempt: d.attempts, ok });
  const error = ok ? null : (r.error ?? `HTTP ${r.statusCode}`);
  await recordWebhookAttempt(sql(), {
    deliveryId: d.id,
    attempt: d.attempts,
    statusCode: r.statusCode,
    latencyMs: r.latencyMs,
    error,
    response: r.response,
    outcome: step.outcome,
    retryInS: step.retryInS,
  });
  const log = { deliveryId: d.id, eventId: d.event_id, endpointId: d.endpoint_id, orgId: d.org_id, attempt: d.attempts };
  if (step.outcome === "delivered") logger.info({ ...log, status: r.statusCode, latencyMs: r.latencyMs }, "webhook delivered");
  else if (step.outcome === "pending")
    logger.warn({ ...log, status: r.statusCode, error, retryInS: step.retryInS }, "webhook failed; will retry");
  else logger.warn({ ...log, status: r.statusCode, error }, "webhook given up");
}

/** Sends what is due, BATCH deliveries at once. Returns how many attempts were made. */
export async function deliverDueWebhooks(): Promise<number> {
  let attempts = 0;
  for (let i = 0; i < MAX_BATCHES_PER_TICK; i++) {
    const claimed = await claimDueWebhookDeliveries(sql(), { limit: BATCH, claimS: CLAIM_S });
    await Promise.all(claimed.map(async (d) => recordDelivery(d, await attemptDelivery(d))));
    attempts += claimed.length;
    if (claimed.length < BATCH) break;
  }
  return attempts;
}

/** The delivery log is kept this long (events still being retried are kept until they finish). */
export const KEEP_EVENTS_DAYS = 30;
const PURGE_BATCH = 1_000;

/** Forgets finished events past KEEP_EVENTS_DAYS, a bounded batch per call (the coordinator's maintenance loop). */
export async function purgeOldWebhookEvents(): Promise<number> {
  return purgeWebhookEvents(sql(), { olderThanDays: KEEP_EVENTS_DAYS, limit: PURGE_BATCH });
}
