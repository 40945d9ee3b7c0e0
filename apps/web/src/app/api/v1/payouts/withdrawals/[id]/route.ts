import { authenticateRequest } from "~/server/auth/api-keys";
import { requireScope } from "~/server/auth/caller";
import { handle, json } from "~/server/http/handle";
import { getWithdrawal } from "~/server/services/payouts/withdrawals";

export const dynamic = "force-dynamic";

export const GET = handle(async (req, _ctx, { params }: { params: Promise<{ id: string }> }) => {
  const caller = requireScope(await authenticateRequest(req.headers), "billing:read");
  return json(await getWithdrawal({ orgId: caller.orgId, id: (await params).id }));
});
