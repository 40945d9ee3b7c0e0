import { authenticateRequest } from "~/server/auth/api-keys";
import { requireScope } from "~/server/auth/caller";
import { handle, json, parseWith } from "~/server/http/handle";
import { parseJsonBody, readBodyLimited } from "~/server/http/read-body";
import { ZStakeRequest } from "~/server/services/verification/stake-request";
import { requestUnbondOnce } from "~/server/services/verification/stake-once";
import { methodsNotAllowed } from "~/server/http/api-fallback";

export const dynamic = "force-dynamic";

/** Start unbonding: the tokens return to the provider after the unbonding period. A retry
 * with the same key answers the stored request (its id and release time). */
export const POST = handle(async (req, _ctx, { params }: { params: Promise<{ id: string }> }) => {
  const caller = requireScope(await authenticateRequest(req.headers), "nodes:write");
  const { id } = await params;
  const request = parseWith(ZStakeRequest, parseJsonBody(await readBodyLimited(req, 4_096)));
  const res = await requestUnbondOnce({ orgId: caller.orgId, nodeId: id, request, headerKey: req.headers.get("idempotency-key") });
  return json(res.body, { status: res.status });
});

// Other methods: a JSON 405 naming these.
export const { GET, PUT, PATCH, DELETE } = methodsNotAllowed("POST");
