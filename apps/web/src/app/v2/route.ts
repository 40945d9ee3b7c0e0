import { json } from "~/server/http/handle";
import { handleOip, oipMethodsNotAllowed } from "~/server/services/oip/oip-http";
import { SERVER_METADATA } from "~/server/services/oip/server-status";

export const dynamic = "force-dynamic";

/** Open Inference Protocol server metadata. */
export const GET = handleOip(async () => json(SERVER_METADATA));

export const { POST, PUT, PATCH, DELETE } = oipMethodsNotAllowed("GET");
