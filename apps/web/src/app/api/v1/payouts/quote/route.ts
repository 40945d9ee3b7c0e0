import { authenticateRequest } from "~/server/auth/api-keys";
import { requireScope } from "~/server/auth/caller";
import { handle, json } from "~/server/http/handle";
import { parseBaseUnits, quoteWithdrawal } from "~/server/services/payouts/withdrawals";
import { methodsNotAllowed } from "~/server/http/api-fallback";

export const dynamic = "force-dynamic";

/** `?amount=<base units>`: the fee and what arrives, before confirming. Without it: the rules. */
export const GET = handle(async (req) => {
  const caller = requireScope(await authenticateRequest(req.headers), "billing:read");
  const amount = new URL(req.url).searchParams.get("amount");
  return json(await quoteWithdrawal({ orgId: caller.orgId, amount: amount === null ? undefined : parseBaseUnits(amount) }));
});

// Other methods: a JSON 405 naming these.
export const { POST, PUT, PATCH, DELETE } = methodsNotAllowed("GET");
