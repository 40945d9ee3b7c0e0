import { handle, json, parseWith } from "~/server/http/handle";
import { getMarket, ZMarketQuery } from "~/server/services/market/market";
import { methodsNotAllowed } from "~/server/http/api-fallback";

export const dynamic = "force-dynamic";

/** Public: `?model=<slug>&region=<id>` (both optional) → per (model, region) workers, free slots, asks and time to result. */
export const GET = handle(async (req) => {
  const q = new URL(req.url).searchParams;
  const query = parseWith(ZMarketQuery, { model: q.get("model") ?? undefined, region: q.get("region") ?? undefined });
  return json(await getMarket(query));
});

// Other methods: a JSON 405 naming these.
export const { POST, PUT, PATCH, DELETE } = methodsNotAllowed("GET");
