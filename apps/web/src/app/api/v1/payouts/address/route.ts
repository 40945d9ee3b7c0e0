import { authenticateRequest } from "~/server/auth/api-keys";
import { requireScope } from "~/server/auth/caller";
import { handle, json } from "~/server/http/handle";
import { parseJsonBody, readBodyLimited } from "~/server/http/read-body";
import { getPayoutAddress, verifyPayoutAddress } from "~/server/services/payouts/payout-address";
import { methodsNotAllowed } from "~/server/http/api-fallback";

export const dynamic = "force-dynamic";

/** The organisation's verified payout address, or `{ address: null }`. */
export const GET = handle(async (req) => {
  const caller = requireScope(await authenticateRequest(req.headers), "billing:read");
  return json((await getPayoutAddress({ orgId: caller.orgId })) ?? { address: null });
});

/** `{ challengeId, signature }`: the personal_sign signature of the challenge's message. */
export const POST = handle(async (req) => {
  const caller = requireScope(await authenticateRequest(req.headers), "payouts:write");
  const body = parseJsonBody(await readBodyLimited(req, 4_096)) as { challengeId?: unknown; signature?: unknown } | null;
  return json(await verifyPayoutAddress({ orgId: caller.orgId, userId: null, challengeId: body?.challengeId, signature: body?.signature }));
});

// Other methods: a JSON 405 naming these.
export const { PUT, PATCH, DELETE } = methodsNotAllowed("GET", "POST");
