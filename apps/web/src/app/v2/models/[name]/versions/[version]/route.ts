import { oipMethodsNotAllowed } from "~/server/services/oip/oip-http";
import { getModelMetadataRoute } from "~/server/services/oip/oip-routes";

export const dynamic = "force-dynamic";

/** Open Inference Protocol model metadata. */
export const GET = getModelMetadataRoute;

export const { POST, PUT, PATCH, DELETE } = oipMethodsNotAllowed("GET");
