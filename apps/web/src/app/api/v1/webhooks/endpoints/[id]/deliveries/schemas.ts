import { ZListWebhookDeliveriesRequest } from "~/server/services/webhooks/webhook-endpoints";

/** The query of GET /api/v1/webhooks/endpoints/:id/deliveries. */
export const ZListWebhookDeliveriesQuery = ZListWebhookDeliveriesRequest;
