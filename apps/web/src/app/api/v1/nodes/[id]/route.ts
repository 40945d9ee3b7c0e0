import { authenticateRequest } from "~/server/auth/api-keys";
import { requireScope } from "~/server/auth/caller";
import { handle, json, parseWith } from "~/server/http/handle";
import { parseJsonBody, readBodyLimited } from "~/server/http/read-body";
import { setAskPrice, ZSetAskPriceRequest } from "~/server/services/market/ask-price";
import { methodsNotAllowed } from "~/server/http/api-fallback";

export const dynamic = "force-dynamic";

/** The node's provider sets its asking price: `{ askPricePerCu: <1..10^12> | null }` (null = the list price). */
export const PATCH = handle(async (req, _ctx, { params }: { params: Promise<{ id: string }> }) => {
  const caller = requireScope(await authenticateRequest(req.headers), "nodes:write");
  const { id } = await params;
  const request = parseWith(ZSetAskPriceRequest, parseJsonBody(await readBodyLimited(req, 1_024)));
  return json(await setAskPrice({ orgId: caller.orgId, nodeId: id, request }));
});

// Other methods: a JSON 405 naming these.
export const { GET, POST, PUT, DELETE } = methodsNotAllowed("PATCH");
