import { authenticateRequest } from "~/server/auth/api-keys";
import { requireScope } from "~/server/auth/caller";
import { handle, json } from "~/server/http/handle";
import { getBillingHistory } from "~/server/services/billing/billing-account";
import { methodsNotAllowed } from "~/server/http/api-fallback";

export const dynamic = "force-dynamic";

/** The last 100 purchases, grants, refunds and disputes with their receipt links, newest first. */
export const GET = handle(async (req) => {
  const caller = requireScope(await authenticateRequest(req.headers), "billing:read");
  return json({ items: await getBillingHistory({ orgId: caller.orgId }) });
});

export const { POST, PUT, PATCH, DELETE } = methodsNotAllowed("GET");
