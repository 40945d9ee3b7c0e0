import { authenticateRequest } from "~/server/auth/api-keys";
import { requireScope } from "~/server/auth/caller";
import { handle, json, parseWith } from "~/server/http/handle";
import { listWebhookDeliveries } from "~/server/services/webhooks/webhook-endpoints";
import { methodsNotAllowed } from "~/server/http/api-fallback";
import { ZListWebhookDeliveriesQuery } from "./schemas";

export const dynamic = "force-dynamic";

/** The endpoint's delivery log, newest first, each with its attempts: `?limit=&cursor=`. */
export const GET = handle(async (req, _ctx, { params }: { params: Promise<{ id: string }> }) => {
  const caller = requireScope(await authenticateRequest(req.headers), "jobs:read");
  const { id } = await params;
  const q = new URL(req.url).searchParams;
  const request = parseWith(ZListWebhookDeliveriesQuery, {
    limit: q.has("limit") ? Number(q.get("limit")) : undefined,
    cursor: q.get("cursor") ?? undefined,
  });
  return json(await listWebhookDeliveries({ orgId: caller.orgId, id, request }));
});

// Other methods: a JSON 405 naming these.
export const { POST, PUT, PATCH, DELETE } = methodsNotAllowed("GET");
