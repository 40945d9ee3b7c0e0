import { authenticateRequest } from "~/server/auth/api-keys";
import { requireScope } from "~/server/auth/caller";
import { getEnv } from "~/server/env";
import { handle, json, parseWith } from "~/server/http/handle";
import { parseJsonBody, readBodyLimited } from "~/server/http/read-body";
import { quoteJob, ZQuoteRequest } from "~/server/services/market/quote";
import { methodsNotAllowed } from "~/server/http/api-fallback";

export const dynamic = "force-dynamic";

/**
 * Where a job would run now and at what price: a submit's body (`{ model, input?, region?,
 * maxPricePerCu? }`). With `input`, the hold and price are that input's, as its submit
 * would hold and charge; without, the model's reference input's (`pricedFor` says which).
 * Changes nothing.
 */
export const POST = handle(async (req) => {
  const caller = requireScope(await authenticateRequest(req.headers), "jobs:write");
  // A submit's body is accepted as is (its input priced), so the same limit applies.
  const request = parseWith(ZQuoteRequest, parseJsonBody(await readBodyLimited(req, getEnv().MAX_JOB_BODY_BYTES)));
  return json(await quoteJob({ orgId: caller.orgId, request }));
});

// Other methods: a JSON 405 naming these.
export const { GET, PUT, PATCH, DELETE } = methodsNotAllowed("POST");
