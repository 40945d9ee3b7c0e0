import { type LookupAddress, lookup as dnsLookup } from "node:dns";
import http from "node:http";
import https from "node:https";
import { isIP, type LookupFunction } from "node:net";
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
import { hostOf, isNonPublicAddress } from "./webhook-url.ts";

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

/** dns.lookup that refuses non-public addresses (the socket connects to what it returns: no rebinding). */
function guardedLookup(allowLocal: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, "", 0);
      const bad = allowLocal ? undefined : addresses.find((a) => isNonPublicAddress(a.address));
      if (bad) return callback(new Error(`refused: ${hostname} resolves to ${bad.address}, not a public address`), "", 0);
      const first = addresses[0];
      if (!first) return callback(new Error(`${hostname} does not resolve`), "", 0);
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      callback(null, first.address, first.family);
    });
  };
}

/**
 * Posts the body with the headers: at most `timeoutMs` for the whole exchange, no redirect
 * followed, the answer read up to MAX_RESPONSE_BYTES. Never throws: the outcome is the result.
 */
export function postWebhook(opts: {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  allowLocal: boolean;
}): Promise<PostResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise<PostResult>((resolve) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (r: Omit<PostResult, "latencyMs">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...r, latencyMs: elapsed() });
    };
    let url: URL;
    try {
      url = new URL(opts.url);
    } catch {
      finish({ statusCode: null, error: "invalid URL", response: null });
      return;
    }
    const host = hostOf(url);
    // An IP literal is connected to without a lookup: check it here.
    if (!opts.allowLocal && isIP(host) && isNonPublicAddress(host)) {
      finish({ statusCode: null, error: `refused: ${host} is not a public address`, response: null });
      return;
    }
    const client = url.protocol === "https:" ? https : http;
    const req = client.request(url, {
      method: "POST",
      headers: { ...opts.headers, "content-length": String(Buffer.byteLength(opts.body)) },
      lookup: guardedLookup(opts.allowLocal),
      agent: false,
    });
    // The whole exchange, a slow answer's body included: settled here, whatever the socket does next.
    timer = setTimeout(() => {
      finish({ statusCode: null, error: `timed out after ${opts.timeoutMs} ms`, response: null });
      req.destroy();
    }, opts.timeoutMs);
    req.on("error", (err) => finish({ statusCode: null, error: err.message.slice(0, 500), response: null }));
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        const text = Buffer.concat(chunks).subarray(0, MAX_LOGGED_BYTES).toString("utf8");
        finish({ statusCode: res.statusCode ?? null, error: null, response: text || null });
      };
      res.on("data", (chunk: Buffer) => {
        if (size < MAX_LOGGED_BYTES) chunks.push(chunk);
        size += chunk.length;
        // Enough read: the status is what counts; a receiver that streams forever is cut off.
        if (size > MAX_RESPONSE_BYTES) {
          done();
          res.destroy();
        }
      });
      res.on("end", done);
      res.on("error", (err) => finish({ statusCode: res.statusCode ?? null, error: err.message.slice(0, 500), response: null }));
    });
    req.end(opts.body);
  });
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
