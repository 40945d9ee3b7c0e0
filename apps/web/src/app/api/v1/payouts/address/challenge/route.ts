import { authenticateRequest } from "~/server/auth/api-keys";
import { requireScope } from "~/server/auth/caller";
import { handle, json } from "~/server/http/handle";
import { parseJsonBody, readBodyLimited } from "~/server/http/read-body";
import { createPayoutAddressChallenge } from "~/server/services/payouts/payout-address";
import { methodsNotAllowed } from "~/server/http/api-fallback";

export const dynamic = "force-dynamic";

/** `{ address }` → the message to sign with that address's key (valid once, for minutes). */
export const POST = handle(async (req) => {
  const caller = requireScope(await authenticateRequest(req.headers), "payouts:write");
  const body = parseJsonBody(await readBodyLimited(req, 1_024)) as { address?: unknown } | null;
  return json(await createPayoutAddressChallenge({ orgId: caller.orgId, address: body?.address }), { status: 201 });
});

// Other methods: a JSON 405 naming these.
export const { GET, PUT, PATCH, DELETE } = methodsNotAllowed("POST");
