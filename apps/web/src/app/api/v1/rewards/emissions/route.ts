import { methodsNotAllowed } from "~/server/http/api-fallback";
import { handle, json, parseWith } from "~/server/http/handle";
import { listEmissions } from "~/server/services/rewards/distribute";
import { ZLimit } from "./schemas";

export const dynamic = "force-dynamic";

/** Public: each closed epoch's emission (scheduled, granted, and by role), newest first. */
export const GET = handle(async (req) => {
  const limit = new URL(req.url).searchParams.get("limit");
  return json({ emissions: await listEmissions({ limit: limit === null ? 96 : parseWith(ZLimit, limit) }) });
});

// Other methods: a JSON 405 naming these.
export const { POST, PUT, PATCH, DELETE } = methodsNotAllowed("GET");
