import { z } from "zod";
import { WEBHOOK_EVENT_TYPES, WEBHOOK_TEST_EVENT } from "../../services/webhooks/webhook-events.ts";
import { ZDateTime, ZJson, ZUuid } from "./common.ts";

// Webhook endpoints and their delivery log (services/webhooks/webhook-endpoints.ts). The
// signing secret is in the answers of create and rotate only: never listed, never read again.

/** The events an endpoint may subscribe to. */
export const ZWebhookEventType = z.enum(WEBHOOK_EVENT_TYPES).meta({ id: "WebhookEventType" });

const endpointFields = {
  id: ZUuid,
  url: z.string().describe("Where deliveries are posted (https), as stored: normalised, without a fragment."),
  description: z.string(),
  events: z.array(ZWebhookEventType),
  enabled: z.boolean().describe("A disabled endpoint's deliveries fail at once, without a request."),
  previousSecretExpiresAt: ZDateTime.nullable().describe("During a rotation: until when the previous secret also signs; otherwise null."),
  createdAt: ZDateTime,
  updatedAt: ZDateTime,
};

export const ZWebhookEndpoint = z.strictObject(endpointFields).meta({ id: "WebhookEndpoint" });

export const ZWebhookEndpointWithSecret = z
  .strictObject({
    ...endpointFields,
    secret: z
      .string()
      .regex(/^whsec_[A-Za-z0-9+/]+=*$/)
      .describe("The signing secret (`whsec_` + base64), shown in this answer only: store it now.")
      .meta({ example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }),
  })
  .meta({ id: "WebhookEndpointWithSecret" });

export const ZWebhookEndpointList = z.strictObject({ endpoints: z.array(ZWebhookEndpoint) }).meta({ id: "WebhookEndpointList" });

export const ZDeletedWebhookEndpoint = z.strictObject({ deleted: z.literal(true) }).meta({ id: "DeletedWebhookEndpoint" });

export const ZWebhookTestEvent = z
  .strictObject({
    eventId: ZUuid.describe("The event's id: the `webhook-id` header of its delivery."),
    type: z.literal(WEBHOOK_TEST_EVENT),
  })
  .meta({ id: "WebhookTestEvent" });

/** What every delivery's body is: Standard Webhooks' recommended shape. */
export const ZWebhookPayload = z
  .strictObject({
    type: z.enum([...WEBHOOK_EVENT_TYPES, WEBHOOK_TEST_EVENT]),
    timestamp: ZDateTime.describe("When it happened."),
    data: ZJson.describe(
      "job.*: `{ job }`, the job as GET /api/v1/jobs/{id} shows it without output, with `receiptUrl`. credits.low: `{ organizationId, alertId, available, threshold }` (base units). webhook.test: `{ endpointId, message }`.",
    ),
  })
  .meta({ id: "WebhookPayload" });

export const ZWebhookAttempt = z.strictObject({
  attempt: z.int().min(1),
  statusCode: z.int().nullable().describe("The receiver's HTTP status; null when no answer came (timeout, refused, disabled)."),
  latencyMs: z.int().min(0),
  error: z.string().nullable(),
  at: ZDateTime,
});

export const ZWebhookDelivery = z
  .strictObject({
    id: ZUuid,
    eventId: ZUuid.describe("The `webhook-id` header: the same on every attempt."),
    type: z.enum([...WEBHOOK_EVENT_TYPES, WEBHOOK_TEST_EVENT]),
    status: z.enum(["pending", "delivered", "failed"]).describe("pending: being retried; delivered; failed: given up."),
    attempts: z.int().min(0),
    nextAttemptAt: ZDateTime.nullable().describe("While pending: when it is tried next."),
    lastStatusCode: z.int().nullable(),
    lastError: z.string().nullable(),
    deliveredAt: ZDateTime.nullable(),
    createdAt: ZDateTime,
    /** The body sent, as sent. */
    payload: ZWebhookPayload,
    log: z.array(ZWebhookAttempt).describe("Each attempt, oldest first."),
  })
  .meta({ id: "WebhookDelivery" });

export const ZWebhookDeliveryList = z
  .strictObject({ deliveries: z.array(ZWebhookDelivery), nextCursor: ZUuid.nullable() })
  .meta({ id: "WebhookDeliveryList" });
