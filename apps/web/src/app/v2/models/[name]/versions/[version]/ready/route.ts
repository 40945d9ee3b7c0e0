import { oipMethodsNotAllowed } from "~/server/services/oip/oip-http";
import { getModelReadyRoute } from "~/server/services/oip/oip-routes";

export const dynamic = "force-dynamic";

/** Open Inference Protocol model readiness. */
export const GET = getModelReadyRoute;

export const { POST, PUT, PATCH, DELETE } = oipMethodsNotAllowed("GET");
