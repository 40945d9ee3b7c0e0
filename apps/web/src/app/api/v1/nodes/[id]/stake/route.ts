import { authenticateRequest } from "~/server/auth/api-keys";
import { requireScope } from "~/server/auth/caller";
import { handle, json, parseWith } from "~/server/http/handle";
import { parseJsonBody, readBodyLimited } from "~/server/http/read-body";
import { getNodeStakeStatus } from "~/server/services/verification/node-stake-status";
import { stakeNodeOnce } from "~/server/services/verification/stake-once";
import { ZStakeNodeRequest } from "~/server/services/verification/stake-request";
import { methodsNotAllowed } from "~/server/http/api-fallback";

export const dynamic = "force-dynamic";

/** The node's stake: bonded, unbonding, exposure used and limit, starter allowance, held earnings. */
export const GET = handle(async (req, _ctx, { params }: { params: Promise<{ id: string }> }) => {
  const caller = requireScope(await authenticateRequest(req.headers), "nodes:read");
  const { id } = await params;
  return json(await getNodeStakeStatus({ orgId: caller.orgId, nodeId: id }));
});

/** Bond tokens to one of the provider's nodes (released earnings first, then credits):
 * `{ amount, source? }`, retry-safe with an `Idempotency-Key` header (or `idempotencyKey`). */
export const POST = handle(async (req, _ctx, { params }: { params: Promise<{ id: string }> }) => {
  const caller = requireScope(await authenticateRequest(req.headers), "nodes:write");
  const { id } = await params;
  const request = parseWith(ZStakeNodeRequest, parseJsonBody(await readBodyLimited(req, 4_096)));
  const res = await stakeNodeOnce({ orgId: caller.orgId, nodeId: id, request, headerKey: req.headers.get("idempotency-key") });
  return json(res.body, { status: res.status });
});

// Other methods: a JSON 405 naming these.
export const { PUT, PATCH, DELETE } = methodsNotAllowed("GET", "POST");
