import { authenticateRequest } from "~/server/auth/api-keys";
import { requireScope } from "~/server/auth/caller";
import { methodsNotAllowed } from "~/server/http/api-fallback";
import { handle, json } from "~/server/http/handle";
import { getRewards } from "~/server/services/rewards/claims";

export const dynamic = "force-dynamic";

/**
 * The organisation's epoch rewards: granted, claimable (vested, unclaimed), unvested,
 * claimed and forfeited (base units as decimal strings), what an early claim would pay and
 * its haircut, the newest grants and claims (`?limit=`, at most 100), and a series for a chart.
 */
export const GET = handle(async (req) => {
  const caller = requireScope(await authenticateRequest(req.headers), "billing:read");
  const limit = Number(new URL(req.url).searchParams.get("limit") ?? 20);
  return json(await getRewards({ orgId: caller.orgId, limit: Number.isFinite(limit) ? limit : 20 }));
});

// Other methods: a JSON 405 naming these.
export const { POST, PUT, PATCH, DELETE } = methodsNotAllowed("GET");
