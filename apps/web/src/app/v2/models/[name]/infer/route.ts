import { oipMethodsNotAllowed } from "~/server/services/oip/oip-http";
import { inferRoute } from "~/server/services/oip/oip-routes";

export const dynamic = "force-dynamic";

/** Open Inference Protocol inference: one Proofgrid job per request. */
export const POST = inferRoute;

export const { GET, PUT, PATCH, DELETE } = oipMethodsNotAllowed("POST");
