import { handle, json } from "~/server/http/handle";
import { getLiveNetwork } from "~/server/services/network/get-live-network";

export const dynamic = "force-dynamic";

/** Public: the explorer's live numbers — nodes online, CU/h, jobs per minute, regions, recent jobs (anonymised). */
export const GET = handle(async () => json(await getLiveNetwork(), { headers: { "cache-control": "no-store" } }));
