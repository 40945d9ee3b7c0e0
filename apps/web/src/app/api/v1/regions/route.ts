import { handle, json } from "~/server/http/handle";
import { listRegions } from "~/server/services/market/regions";
import { methodsNotAllowed } from "~/server/http/api-fallback";

export const dynamic = "force-dynamic";

/** Public: the regions edge placement knows, with online workers and free slots in each. */
export const GET = handle(async () => json(await listRegions()));

// Other methods: a JSON 405 naming these.
export const { POST, PUT, PATCH, DELETE } = methodsNotAllowed("GET");
