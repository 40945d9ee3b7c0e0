import { methodsNotAllowed } from "~/server/http/api-fallback";
import { handle } from "~/server/http/handle";
import { handleDashboardUpload } from "./dashboard-upload";

export const dynamic = "force-dynamic";

/** Create a resumable upload (tus 1.0.0) with the session: as POST /api/v1/models/uploads. */
export const POST = handle(handleDashboardUpload);

// Other methods: a JSON 405 naming these.
export const { GET, PUT, PATCH, DELETE } = methodsNotAllowed("POST");
