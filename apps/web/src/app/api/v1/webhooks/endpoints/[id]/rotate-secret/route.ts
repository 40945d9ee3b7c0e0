import { authenticateRequest } from "~/server/auth/api-keys";
import { requireScope } from "~/server/auth/caller";
import { handle, json, parseWith } from "~/server/http/handle";
import { parseJsonBody, readBodyLimited } from "~/server/http/read-body";
import { rotateWebhookSecret } from "~/server/services/webhooks/webhook-endpoints";
import { methodsNotAllowed } from "~/server/http/api-fallback";
import { ZRotateWebhookSecretBody } from "./schemas";

export const dynamic = "force-dynamic";

/**
 * A new signing secret, shown this once. `{ overlapSeconds? }` (default 86 400, at most a
 * week): until then deliveries carry a signature with each secret, so the receiver can switch
 * whenever it likes; 0 retires the old one at once.
 */
export const POST = handle(async (req, _ctx, { params }: { params: Promise<{ id: string }> }) => {
  const caller = requireScope(await authenticateRequest(req.headers), "keys:write");
  const { id } = await params;
  const request = parseWith(ZRotateWebhookSecretBody, parseJsonBody(await readBodyLimited(req, 1_024)));
  return json(await rotateWebhookSecret({ orgId: caller.orgId, id, request }));
});

// Other methods: a JSON 405 naming these.
export const { GET, PUT, PATCH, DELETE } = methodsNotAllowed("POST");
