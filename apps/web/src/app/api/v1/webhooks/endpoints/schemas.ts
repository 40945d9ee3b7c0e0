import { ZCreateWebhookEndpointRequest } from "~/server/services/webhooks/webhook-endpoints";

/** The request body of POST /api/v1/webhooks/endpoints. */
export const ZCreateWebhookEndpointBody = ZCreateWebhookEndpointRequest;
