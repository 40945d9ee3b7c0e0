import { authenticateRequest } from "~/server/auth/api-keys";
import { requireScope } from "~/server/auth/caller";
import { handle, json, parseWith } from "~/server/http/handle";
import { parseJsonBody, readBodyLimited } from "~/server/http/read-body";
import { createWebhookEndpoint, listWebhookEndpoints } from "~/server/services/webhooks/webhook-endpoints";
import { methodsNotAllowed } from "~/server/http/api-fallback";
import { ZCreateWebhookEndpointBody } from "./schemas";

export const dynamic = "force-dynamic";

/** Bodies up to this size get a field-by-field 400 (an over-long URL included), larger ones a 413. */
const MAX_BODY_BYTES = 8_192;

/**
 * Register an endpoint: `{ url, events: ["job.succeeded" | "job.failed" | "job.refunded" |
 * "credits.low"], description? }` → 201 with its signing secret (`whsec_…`), shown this once.
 * https only, and the host must resolve to public addresses.
 */
export const POST = handle(async (req) => {
  const caller = requireScope(await authenticateRequest(req.headers), "keys:write");
  const request = parseWith(ZCreateWebhookEndpointBody, parseJsonBody(await readBodyLimited(req, MAX_BODY_BYTES)));
  return json(await createWebhookEndpoint({ orgId: caller.orgId, request }), { status: 201 });
});

/** The organisation's endpoints (never their secrets). */
export const GET = handle(async (req) => {
  const caller = requireScope(await authenticateRequest(req.headers), "jobs:read");
  return json(await listWebhookEndpoints({ orgId: caller.orgId }));
});

// Other methods: a JSON 405 naming these.
export const { PUT, PATCH, DELETE } = methodsNotAllowed("GET", "POST");
