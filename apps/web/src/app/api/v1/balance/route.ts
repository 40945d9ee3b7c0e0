import { authenticateRequest } from "~/server/auth/api-keys";
import { requireScope } from "~/server/auth/caller";
import { handle, json } from "~/server/http/handle";
import { getBalance } from "~/server/services/billing/get-balance";

export const dynamic = "force-dynamic";

export const GET = handle(async (req) => {
  const caller = requireScope(await authenticateRequest(req.headers), "billing:read");
  return json(await getBalance({ orgId: caller.orgId }));
});
