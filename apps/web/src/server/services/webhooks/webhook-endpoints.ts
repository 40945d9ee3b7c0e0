import { randomBytes } from "node:crypto";
import { sql, sqlTransaction } from "@proofgrid/db/sql-client";
import {
  countWebhookEndpoints,
  deleteWebhookEndpoint as deleteEndpointRow,
  insertWebhookEndpoint,
  listWebhookEndpoints as listEndpointRows,
  lockOrgWebhookEndpoints,
  rotateWebhookEndpointSecret,
  selectWebhookEndpoint,
  updateWebhookEndpoint as updateEndpointRow,
  type WebhookEndpointRow,
} from "@proofgrid/db/webhooks/webhook-endpoints";
import { listWebhookDeliveries as listDeliveryRows } from "@proofgrid/db/webhooks/webhook-outbox";
import { z } from "zod";
import { getEnv } from "../../env.ts";
import { AppError } from "../../errors.ts";
import { logger } from "../../logger.ts";
import { insertEvent, WEBHOOK_TEST_EVENT, WEBHOOK_EVENT_TYPES, ZWebhookEventType } from "./webhook-events.ts";
import { assertPublicHost } from "../../http/outbound.ts";
import { MAX_WEBHOOK_URL_CHARS, parseWebhookUrl } from "./webhook-url.ts";

// An organisation's webhook endpoints: register, list, change, delete, rotate the signing
// secret, send a test event, read the delivery log. Every statement names the organisation,
// and another organisation's endpoint id answers exactly like an unknown one (404).

/** A secret as Standard Webhooks has it: whsec_ + base64 of 24 random bytes (192 bits). */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString("base64")}`;
}

/** How long the old secret keeps signing after a rotation, unless the request says otherwise. */
export const DEFAULT_ROTATION_OVERLAP_S = 86_400;

export const ZWebhookEndpointId = z.uuid();

const ZUrl = z.string().trim().min(1).max(MAX_WEBHOOK_URL_CHARS, `at most ${MAX_WEBHOOK_URL_CHARS} characters`);
const ZDescription = z.string().trim().max(200);
const ZEvents = z
  .array(ZWebhookEventType)
  .min(1)
  .max(WEBHOOK_EVENT_TYPES.length)
  .refine((e) => new Set(e).size === e.length, "each event type once");

export const ZCreateWebhookEndpointRequest = z.strictObject({
  url: ZUrl,
  description: ZDescription.default(""),
  events: ZEvents,
});
export type TCreateWebhookEndpointRequest = z.infer<typeof ZCreateWebhookEndpointRequest>;

export const ZUpdateWebhookEndpointRequest = z
  .strictObject({ url: ZUrl.optional(), description: ZDescription.optional(), events: ZEvents.optional(), enabled: z.boolean().optional() })
  .refine((r) => Object.values(r).some((v) => v !== undefined), "nothing to change");
export type TUpdateWebhookEndpointRequest = z.infer<typeof ZUpdateWebhookEndpointRequest>;

export const ZRotateWebhookSecretRequest = z.strictObject({
  /** Seconds the current secret keeps signing beside the new one (0: it stops now; at most a week). */
  overlapSeconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 86_400)
    .default(DEFAULT_ROTATION_OVERLAP_S),
});
export type TRotateWebhookSecretRequest = z.infer<typeof ZRotateWebhookSecretRequest>;

export const ZListWebhookDeliveriesRequest = z.strictObject({
  limit: z.number().int().min(1).max(100).default(20),
  /** The id of the last delivery of the previous page. */
  cursor: z.uuid().optional(),
});
export type TListWebhookDeliveriesRequest = z.infer<typeof ZListWebhookDeliveriesRequest>;

export interface WebhookEndpoint {
  id: string;
  url: string;
  description: string;
  events: string[];
  enabled: boolean;
  /** During a rotation: until when the previous secret also signs. */
  previousSecretExpiresAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Returned once, at creation and at rotation: the secret is never shown again. */
export type WebhookEndpointWithSecret = WebhookEndpoint & { secret: string };

function toEndpoint(r: WebhookEndpointRow): WebhookEndpoint {
  const expires = r.previous_secret_expires_at && r.previous_secret_expires_at > new Date() ? r.previous_secret_expires_at : null;
  return {
    id: r.id,
    url: r.url,
    description: r.description,
    events: r.events,
    enabled: r.enabled,
    previousSecretExpiresAt: expires?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

const allowLocal = () => getEnv().WEBHOOK_ALLOW_LOCAL_URLS === "1";

/** The URL as stored: checked (https, no private address unless allowed) and normalised. */
async function checkedUrl(raw: string): Promise<string> {
  const url = parseWebhookUrl(raw, { allowLocal: allowLocal() });
  await assertPublicHost(url, { allowLocal: allowLocal() });
  return url.href;
}

const notFound = () => new AppError("NOT_FOUND", "webhook endpoint not found");

function assertId(id: string): void {
  if (!ZWebhookEndpointId.safeParse(id).success) throw notFound();
}

export async function createWebhookEndpoint(opts: {
  orgId: string;
  request: TCreateWebhookEndpointRequest;
}): Promise<WebhookEndpointWithSecret> {
  const url = await checkedUrl(opts.request.url);
  const max = getEnv().WEBHOOK_MAX_ENDPOINTS_PER_ORG;
  const secret = generateWebhookSecret();
  const row = await sqlTransaction(async (tx) => {
    await lockOrgWebhookEndpoints(tx, { orgId: opts.orgId });
    if ((await countWebhookEndpoints(tx, { orgId: opts.orgId })) >= max) {
      throw new AppError("BAD_REQUEST", `an organisation may have at most ${max} webhook endpoints; delete one first`);
    }
    return insertWebhookEndpoint(tx, {
      orgId: opts.orgId,
      url,
      description: opts.request.description,
      events: opts.request.events,
      secret,
    });
  });
  logger.info({ orgId: opts.orgId, endpointId: row.id, events: row.events }, "webhook endpoint created");
  return { ...toEndpoint(row), secret };
}

export async function listWebhookEndpoints(opts: { orgId: string }): Promise<{ endpoints: WebhookEndpoint[] }> {
  const rows = await listEndpointRows(sql(), { orgId: opts.orgId, limit: getEnv().WEBHOOK_MAX_ENDPOINTS_PER_ORG });
  return { endpoints: rows.map(toEndpoint) };
}

export async function getWebhookEndpointOrThrow(opts: { orgId: string; id: string }): Promise<WebhookEndpoint> {
  assertId(opts.id);
  const row = await selectWebhookEndpoint(sql(), opts);
  if (!row) throw notFound();
  return toEndpoint(row);
}

export async function updateWebhookEndpoint(opts: {
  orgId: string;
  id: string;
  request: TUpdateWebhookEndpointRequest;
}): Promise<WebhookEndpoint> {
  assertId(opts.id);
  const { request } = opts;
  const url = request.url === undefined ? undefined : await checkedUrl(request.url);
  const row = await updateEndpointRow(sql(), {
    orgId: opts.orgId,
    id: opts.id,
    url,
    description: request.description,
    events: request.events,
    enabled: request.enabled,
  });
  if (!row) throw notFound();
  logger.info({ orgId: opts.orgId, endpointId: row.id }, "webhook endpoint changed");
  return toEndpoint(row);
}

export async function deleteWebhookEndpoint(opts: { orgId: string; id: string }): Promise<{ deleted: true }> {
  assertId(opts.id);
  if (!(await deleteEndpointRow(sql(), opts))) throw notFound();
  logger.info({ orgId: opts.orgId, endpointId: opts.id }, "webhook endpoint deleted");
  return { deleted: true };
}

/** A new secret, shown once; the old one signs beside it for `overlapSeconds`. */
export async function rotateWebhookSecret(opts: {
  orgId: string;
  id: string;
  request: TRotateWebhookSecretRequest;
}): Promise<WebhookEndpointWithSecret> {
  assertId(opts.id);
  const secret = generateWebhookSecret();
  const row = await rotateWebhookEndpointSecret(sql(), { orgId: opts.orgId, id: opts.id, secret, overlapS: opts.request.overlapSeconds });
  if (!row) throw notFound();
  logger.info({ orgId: opts.orgId, endpointId: row.id, overlapS: opts.request.overlapSeconds }, "webhook secret rotated");
  return { ...toEndpoint(row), secret };
}

/**
 * Queues a `webhook.test` event to the one (enabled) endpoint, through
 * the same outbox, signing and retries as real events. Returns its id (the `webhook-id`).
 */
export async function sendTestWebhook(opts: { orgId: string; id: string }): Promise<{ eventId: string; type: string }> {
  assertId(opts.id);
  const eventId = await sqlTransaction(async (tx) => {
    const row = await selectWebhookEndpoint(tx, opts);
    if (!row) throw notFound();
    if (!row.enabled) throw new AppError("CONFLICT", "this webhook endpoint is disabled: enable it to send a test event");
    return insertEvent(tx, {
      orgId: opts.orgId,
      type: WEBHOOK_TEST_EVENT,
      data: { endpointId: row.id, message: "A test event from Proofgrid: your endpoint receives and verifies webhooks." },
      endpointIds: [row.id],
    });
  });
  return { eventId, type: WEBHOOK_TEST_EVENT };
}

export interface WebhookDelivery {
  id: string;
  /** The `webhook-id` header: the same on every attempt. */
  eventId: string;
  type: string;
  /** pending (being retried) | delivered | failed (given up). */
  status: string;
  attempts: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  createdAt: string;
  /** The body sent, as sent. */
  payload: unknown;
  log: { attempt: number; statusCode: number | null; latencyMs: number; error: string | null; at: string }[];
}

/** The endpoint's delivery log, newest first, with each attempt. */
export async function listWebhookDeliveries(opts: {
  orgId: string;
  id: string;
  request: TListWebhookDeliveriesRequest;
}): Promise<{ deliveries: WebhookDelivery[]; nextCursor: string | null }> {
  assertId(opts.id);
  if (!(await selectWebhookEndpoint(sql(), opts))) throw notFound();
  const { limit, cursor } = opts.request;
  const rows = await listDeliveryRows(sql(), { orgId: opts.orgId, endpointId: opts.id, limit, after: cursor ?? null });
  const deliveries = rows.map((r) => ({
    id: r.id,
    eventId: r.event_id,
    type: r.type,
    status: r.status,
    attempts: r.attempts,
    nextAttemptAt: r.status === "pending" ? r.next_attempt_at.toISOString() : null,
    lastStatusCode: r.last_status_code,
    lastError: r.last_error,
    deliveredAt: r.delivered_at?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
    payload: JSON.parse(r.body) as unknown,
    log: r.log,
  }));
  return { deliveries, nextCursor: rows.length === limit ? (rows.at(-1)?.id ?? null) : null };
}
