import { methodsNotAllowed } from "~/server/http/api-fallback";
import { handle } from "~/server/http/handle";
import { handleDashboardUpload } from "../dashboard-upload";

export const dynamic = "force-dynamic";

// One resumable upload with the session (tus 1.0.0), the organisation's own only: as
// /api/v1/models/uploads/[id].

/** Where the upload stands: `Upload-Offset`. */
export const HEAD = handle(handleDashboardUpload);
/** Append bytes at `Upload-Offset`. */
export const PATCH = handle(handleDashboardUpload);
/** Abandon the upload (tus termination). */
export const DELETE = handle(handleDashboardUpload);

// Other methods: a JSON 405 naming these.
export const { GET, POST, PUT } = methodsNotAllowed("PATCH", "DELETE");
