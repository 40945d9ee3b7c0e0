import { z } from "zod";
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  listWebhookDeliveries,
  listWebhookEndpoints,
  rotateWebhookSecret,
  sendTestWebhook,
  updateWebhookEndpoint,
  ZCreateWebhookEndpointRequest,
  ZListWebhookDeliveriesRequest,
  ZRotateWebhookSecretRequest,
  ZUpdateWebhookEndpointRequest,
  ZWebhookEndpointId,
} from "../../services/webhooks/webhook-endpoints.ts";
import { createTRPCRouter, orgProcedure } from "../trpc.ts";

// The dashboard's webhooks page: the same services as /api/v1/webhooks/endpoints, with the
// same scopes (reading with jobs:read; changing, rotating and testing with keys:write, an
// owner's: a signing secret is a credential like an API key).
export const webhooksRouter = createTRPCRouter({
  list: orgProcedure("jobs:read").query(({ ctx }) => listWebhookEndpoints({ orgId: ctx.org.orgId })),
  create: orgProcedure("keys:write")
    .input(ZCreateWebhookEndpointRequest)
    .mutation(({ ctx, input }) => createWebhookEndpoint({ orgId: ctx.org.orgId, request: input })),
  update: orgProcedure("keys:write")
    .input(z.object({ id: ZWebhookEndpointId, patch: ZUpdateWebhookEndpointRequest }))
    .mutation(({ ctx, input }) => updateWebhookEndpoint({ orgId: ctx.org.orgId, id: input.id, request: input.patch })),
  delete: orgProcedure("keys:write")
    .input(z.object({ id: ZWebhookEndpointId }))
    .mutation(({ ctx, input }) => deleteWebhookEndpoint({ orgId: ctx.org.orgId, id: input.id })),
  rotateSecret: orgProcedure("keys:write")
    .input(z.object({ id: ZWebhookEndpointId, overlapSeconds: ZRotateWebhookSecretRequest.shape.overlapSeconds }))
    .mutation(({ ctx, input }) =>
      rotateWebhookSecret({ orgId: ctx.org.orgId, id: input.id, request: { overlapSeconds: input.overlapSeconds } }),
    ),
  sendTest: orgProcedure("keys:write")
    .input(z.object({ id: ZWebhookEndpointId }))
    .mutation(({ ctx, input }) => sendTestWebhook({ orgId: ctx.org.orgId, id: input.id })),
  deliveries: orgProcedure("jobs:read")
    .input(z.object({ id: ZWebhookEndpointId, limit: z.number().int().min(1).max(100).default(20), cursor: z.uuid().optional() }))
    .query(({ ctx, input }) =>
      listWebhookDeliveries({
        orgId: ctx.org.orgId,
        id: input.id,
        request: ZListWebhookDeliveriesRequest.parse({ limit: input.limit, cursor: input.cursor }),
      }),
    ),
});
