import { authenticateRequest } from "~/server/auth/api-keys";
import { requireScope } from "~/server/auth/caller";
import { handle, json, parseWith } from "~/server/http/handle";
import { parseJsonBody, readBodyLimited } from "~/server/http/read-body";
import { publicOrigin } from "~/server/request-origin";
import { createCheckoutIdempotently, ZCreateCheckoutRequest } from "~/server/services/billing/create-checkout";
import { methodsNotAllowed } from "~/server/http/api-fallback";

export const dynamic = "force-dynamic";

/**
 * Buy credits by card: `{ tokens, saveCard? }` → 201 `{ purchaseId, url, sessionId, … }`; send
 * the buyer to `url` (Stripe Checkout). An optional `Idempotency-Key` header works as Stripe's:
 * the same key and body answer the first purchase again (its first status, with
 * `Idempotent-Replayed: true`), the same key with another body is a 422.
 */
export const POST = handle(async (req) => {
  const caller = requireScope(await authenticateRequest(req.headers), "billing:write");
  const body = await readBodyLimited(req, 4_096);
  const request = parseWith(ZCreateCheckoutRequest, parseJsonBody(body));
  const res = await createCheckoutIdempotently({
    orgId: caller.orgId,
    request,
    origin: publicOrigin(req.headers),
    headerKey: req.headers.get("idempotency-key"),
    createdBy: caller.kind === "apiKey" ? { keyId: caller.keyId } : { userId: caller.userId },
  });
  return json(res.body, { status: res.status, headers: res.replayed ? { "idempotent-replayed": "true" } : {} });
});

export const { GET, PUT, PATCH, DELETE } = methodsNotAllowed("POST");
