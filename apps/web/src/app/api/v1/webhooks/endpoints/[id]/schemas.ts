import { ZUpdateWebhookEndpointRequest } from "~/server/services/webhooks/webhook-endpoints";

/** The request body of PATCH /api/v1/webhooks/endpoints/:id. */
export const ZUpdateWebhookEndpointBody = ZUpdateWebhookEndpointRequest;
