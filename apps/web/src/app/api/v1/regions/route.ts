import { handle, json } from "~/server/http/handle";
import { listRegions } from "~/server/services/market/regions";

export const dynamic = "force-dynamic";

/** Public: the regions edge placement knows, with online workers and free slots in each. */
export const GET = handle(async () => json(await listRegions()));
