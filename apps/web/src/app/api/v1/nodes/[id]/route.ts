import { authenticateRequest } from "~/server/auth/api-keys";
import { getEnv } from "~/server/env";
import { requireScope } from "~/server/auth/caller";
import { handle, json, parseWith } from "~/server/http/handle";
import { parseJsonBody, readBodyLimited } from "~/server/http/read-body";
import { removeWorker } from "~/server/services/providers/remove-worker";
import { updateWorker, ZUpdateWorkerRequest } from "~/server/services/providers/update-worker";
import { methodsNotAllowed } from "~/server/http/api-fallback";

export const dynamic = "force-dynamic";

/** The node's provider changes it, all at once or not at all: `{ name?: string (1-64),
 * paused?: boolean (true drains it: no new work), askPricePerCu?: <1..10^12> | null }`
 * (null = the list price). */
export const PATCH = handle(async (req, _ctx, { params }: { params: Promise<{ id: string }> }) => {
  const caller = requireScope(await authenticateRequest(req.headers), "nodes:write");
  const { id } = await params;
  const request = parseWith(ZUpdateWorkerRequest, parseJsonBody(await readBodyLimited(req, 1_024)));
  const res = await updateWorker({ orgId: caller.orgId, nodeId: id, request });
  const listPrice = BigInt(getEnv().PRICE_PER_CU_BASE_UNITS);
  // The ask fields as before (askPricePerCu, effectiveAskPricePerCu, listPricePerCu), and the rest.
  return json({ ...res, effectiveAskPricePerCu: res.askPricePerCu ?? listPrice.toString(), listPricePerCu: listPrice.toString() });
});

/** Retires the node: its key stops working and it leaves every list. 409 while it holds
 * jobs in flight, stake (bonded or unbonding) or held earnings, saying which. */
export const DELETE = handle(async (req, _ctx, { params }: { params: Promise<{ id: string }> }) => {
  const caller = requireScope(await authenticateRequest(req.headers), "nodes:write");
  const { id } = await params;
  return json(await removeWorker({ orgId: caller.orgId, nodeId: id }));
});

// Other methods: a JSON 405 naming these.
export const { GET, POST, PUT } = methodsNotAllowed("PATCH", "DELETE");
