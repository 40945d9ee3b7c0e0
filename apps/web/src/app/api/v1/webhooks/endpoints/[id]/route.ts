import { authenticateRequest } from "~/server/auth/api-keys";
import { requireScope } from "~/server/auth/caller";
import { handle, json, parseWith } from "~/server/http/handle";
import { parseJsonBody, readBodyLimited } from "~/server/http/read-body";
import { deleteWebhookEndpoint, getWebhookEndpointOrThrow, updateWebhookEndpoint } from "~/server/services/webhooks/webhook-endpoints";
import { methodsNotAllowed } from "~/server/http/api-fallback";
import { ZUpdateWebhookEndpointBody } from "./schemas";

export const dynamic = "force-dynamic";

type Params = { params: Promise<{ id: string }> };

const MAX_BODY_BYTES = 8_192;

/** One endpoint; another organisation's id answers 404 like an unknown one. */
export const GET = handle(async (req, _ctx, { params }: Params) => {
  const caller = requireScope(await authenticateRequest(req.headers), "jobs:read");
  const { id } = await params;
  return json(await getWebhookEndpointOrThrow({ orgId: caller.orgId, id }));
});

/** Change `url`, `events`, `description` or `enabled` (a disabled endpoint's deliveries fail at once). */
export const PATCH = handle(async (req, _ctx, { params }: Params) => {
  const caller = requireScope(await authenticateRequest(req.headers), "keys:write");
  const { id } = await params;
  const request = parseWith(ZUpdateWebhookEndpointBody, parseJsonBody(await readBodyLimited(req, MAX_BODY_BYTES)));
  return json(await updateWebhookEndpoint({ orgId: caller.orgId, id, request }));
});

/** Delete the endpoint and its delivery log. */
export const DELETE = handle(async (req, _ctx, { params }: Params) => {
  const caller = requireScope(await authenticateRequest(req.headers), "keys:write");
  const { id } = await params;
  return json(await deleteWebhookEndpoint({ orgId: caller.orgId, id }));
});

// Other methods: a JSON 405 naming these.
export const { POST, PUT } = methodsNotAllowed("GET", "PATCH", "DELETE");
