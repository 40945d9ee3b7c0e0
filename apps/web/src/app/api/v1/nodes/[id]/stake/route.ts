import { authenticateRequest } from "~/server/auth/api-keys";
import { requireScope } from "~/server/auth/caller";
import { handle, json, parseWith } from "~/server/http/handle";
import { parseJsonBody, readBodyLimited } from "~/server/http/read-body";
import { stakeNode } from "~/server/services/verification/stake";
import { ZStakeRequest } from "~/server/services/verification/stake-request";
import { methodsNotAllowed } from "~/server/http/api-fallback";

export const dynamic = "force-dynamic";

/** Bond tokens from the provider's available balance to one of its nodes. */
export const POST = handle(async (req, _ctx, { params }: { params: Promise<{ id: string }> }) => {
  const caller = requireScope(await authenticateRequest(req.headers), "nodes:write");
  const { id } = await params;
  const request = parseWith(ZStakeRequest, parseJsonBody(await readBodyLimited(req, 4_096)));
  const res = await stakeNode({ orgId: caller.orgId, nodeId: id, amount: BigInt(request.amount), idempotencyKey: request.idempotencyKey });
  return json(res, { status: res.created ? 201 : 200 });
});

// Other methods: a JSON 405 naming these.
export const { GET, PUT, PATCH, DELETE } = methodsNotAllowed("POST");
