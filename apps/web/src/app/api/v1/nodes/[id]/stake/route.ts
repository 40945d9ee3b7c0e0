import { authenticateRequest } from "~/server/auth/api-keys";
import { requireScope } from "~/server/auth/caller";
import { handle, json, parseWith } from "~/server/http/handle";
import { parseJsonBody, readBodyLimited } from "~/server/http/read-body";
import { ZStakeRequest } from "~/server/services/verification/stake-request";
import { stakeNodeOnce } from "~/server/services/verification/stake-once";

export const dynamic = "force-dynamic";

/** Bond tokens from the provider's available balance to one of its nodes: `{ amount }` with an
 * `Idempotency-Key` header (or `idempotencyKey` in the body). */
export const POST = handle(async (req, _ctx, { params }: { params: Promise<{ id: string }> }) => {
  const caller = requireScope(await authenticateRequest(req.headers), "nodes:write");
  const { id } = await params;
  const request = parseWith(ZStakeRequest, parseJsonBody(await readBodyLimited(req, 4_096)));
  const res = await stakeNodeOnce({ orgId: caller.orgId, nodeId: id, request, headerKey: req.headers.get("idempotency-key") });
  return json(res.body, { status: res.status });
});
