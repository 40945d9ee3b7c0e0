import { authenticateRequest } from "~/server/auth/api-keys";
import { requireScope } from "~/server/auth/caller";
import { handle, json } from "~/server/http/handle";
import { getWithdrawal } from "~/server/services/payouts/withdrawals";
import { methodsNotAllowed } from "~/server/http/api-fallback";

export const dynamic = "force-dynamic";

export const GET = handle(async (req, _ctx, { params }: { params: Promise<{ id: string }> }) => {
  const caller = requireScope(await authenticateRequest(req.headers), "billing:read");
  return json(await getWithdrawal({ orgId: caller.orgId, id: (await params).id }));
});

// Other methods: a JSON 405 naming these.
export const { POST, PUT, PATCH, DELETE } = methodsNotAllowed("GET");
