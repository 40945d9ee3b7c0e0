import { authenticateRequest } from "~/server/auth/api-keys";
import { requireScope } from "~/server/auth/caller";
import { methodsNotAllowed } from "~/server/http/api-fallback";
import { handle } from "~/server/http/handle";
import { handleModelUpload } from "~/server/services/models/model-uploads";

export const dynamic = "force-dynamic";

// One resumable upload (tus 1.0.0, issue 17), the organisation's own only: another
// organisation's upload answers 404, as a missing one does.
const tus = handle(async (req, { requestId }) => {
  const caller = requireScope(await authenticateRequest(req.headers), "models:write");
  return handleModelUpload(req, { orgId: caller.orgId, requestId });
});

/** Where the upload stands: `Upload-Offset` (bytes received) and `Upload-Length`. */
export const HEAD = tus;
/** Append bytes at `Upload-Offset` (`Content-Type: application/offset+octet-stream`) → 204 with the new offset. */
export const PATCH = tus;
/** Abandon the upload (tus termination) → 204. */
export const DELETE = tus;
/** tus discovery. */
export const OPTIONS = handle(async (req, { requestId }) => handleModelUpload(req, { orgId: "", requestId }));

// Other methods: a JSON 405 naming these.
export const { GET, POST, PUT } = methodsNotAllowed("PATCH", "DELETE");
