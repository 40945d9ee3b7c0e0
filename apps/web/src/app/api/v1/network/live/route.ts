import { handle, json } from "~/server/http/handle";
import { getLiveNetwork } from "~/server/services/network/get-live-network";
import { methodsNotAllowed } from "~/server/http/api-fallback";

export const dynamic = "force-dynamic";

/** Public: the explorer's live numbers — nodes online, CU/h, jobs per minute, regions, recent jobs (anonymised). */
export const GET = handle(async () => json(await getLiveNetwork(), { headers: { "cache-control": "no-store" } }));

// Other methods: a JSON 405 naming these.
export const { POST, PUT, PATCH, DELETE } = methodsNotAllowed("GET");
