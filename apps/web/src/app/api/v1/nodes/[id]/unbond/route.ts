import { authenticateRequest } from "~/server/auth/api-keys";
import { requireScope } from "~/server/auth/caller";
import { handle, json, parseWith } from "~/server/http/handle";
import { parseJsonBody, readBodyLimited } from "~/server/http/read-body";
import { requestUnbond } from "~/server/services/verification/stake";
import { idempotencyKeyHeader, ZStakeRequest } from "~/server/services/verification/stake-request";
import { methodsNotAllowed } from "~/server/http/api-fallback";

export const dynamic = "force-dynamic";

/** Start unbonding: the tokens return to the provider after the unbonding period. */
export const POST = handle(async (req, _ctx, { params }: { params: Promise<{ id: string }> }) => {
  const caller = requireScope(await authenticateRequest(req.headers), "nodes:write");
  const { id } = await params;
  const request = parseWith(ZStakeRequest, parseJsonBody(await readBodyLimited(req, 4_096)));
  return json(
    await requestUnbond({
      orgId: caller.orgId,
      nodeId: id,
      amount: BigInt(request.amount),
      idempotencyKey: request.idempotencyKey ?? idempotencyKeyHeader(req.headers),
    }),
    { status: 201 },
  );
});

// Other methods: a JSON 405 naming these.
export const { GET, PUT, PATCH, DELETE } = methodsNotAllowed("POST");
