import { authenticateRequest } from "~/server/auth/api-keys";
import { requireScope } from "~/server/auth/caller";
import { handle, json } from "~/server/http/handle";
import { sendTestWebhook } from "~/server/services/webhooks/webhook-endpoints";
import { methodsNotAllowed } from "~/server/http/api-fallback";

export const dynamic = "force-dynamic";

/** Queue a `webhook.test` event to this endpoint (202): it is delivered, signed and retried like any event. */
export const POST = handle(async (req, _ctx, { params }: { params: Promise<{ id: string }> }) => {
  const caller = requireScope(await authenticateRequest(req.headers), "keys:write");
  const { id } = await params;
  return json(await sendTestWebhook({ orgId: caller.orgId, id }), { status: 202 });
});

// Other methods: a JSON 405 naming these.
export const { GET, PUT, PATCH, DELETE } = methodsNotAllowed("POST");
