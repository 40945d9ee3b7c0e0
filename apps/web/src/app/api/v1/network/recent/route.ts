import { handle, json, parseWith } from "~/server/http/handle";
import { listRecentActivity } from "~/server/services/network/list-recent-jobs";
import { methodsNotAllowed } from "~/server/http/api-fallback";
import { ZLimit } from "./schemas";

export const dynamic = "force-dynamic";

/** Public: jobs finished per minute, model and region over the last hour, every purpose
 * alike, shown two minutes after the minute closed (no ids, no single job). `?limit=1..50` rows. */
export const GET = handle(async (req) => {
  const limit = new URL(req.url).searchParams.get("limit");
  return json(await listRecentActivity({ limit: limit === null ? 20 : parseWith(ZLimit, limit) }));
});

// Other methods: a JSON 405 naming these.
export const { POST, PUT, PATCH, DELETE } = methodsNotAllowed("GET");
