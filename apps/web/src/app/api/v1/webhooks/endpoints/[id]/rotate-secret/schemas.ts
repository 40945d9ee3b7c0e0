import { ZRotateWebhookSecretRequest } from "~/server/services/webhooks/webhook-endpoints";

/** The (optional) request body of POST /api/v1/webhooks/endpoints/:id/rotate-secret. */
export const ZRotateWebhookSecretBody = ZRotateWebhookSecretRequest;
