import { authenticateRequest } from "~/server/auth/api-keys";
import { requireScope } from "~/server/auth/caller";
import { methodsNotAllowed } from "~/server/http/api-fallback";
import { handle } from "~/server/http/handle";
import { handleModelUpload } from "~/server/services/models/model-uploads";

export const dynamic = "force-dynamic";

/**
 * Create a resumable upload (tus 1.0.0, issue 17): `Tus-Resumable: 1.0.0` and `Upload-Length`
 * (or `Upload-Defer-Length: 1`) → 201, `Location` and `{ id }`. Send the bytes with PATCH to
 * that location; register the finished upload with POST /api/v1/models.
 */
export const POST = handle(async (req, { requestId }) => {
  const caller = requireScope(await authenticateRequest(req.headers), "models:write");
  return handleModelUpload(req, { orgId: caller.orgId, requestId });
});

/** tus discovery (version, extensions, largest upload): no key needed, nothing of anyone's. */
export const OPTIONS = handle(async (req, { requestId }) => handleModelUpload(req, { orgId: "", requestId }));

// Other methods: a JSON 405 naming these.
export const { GET, PUT, PATCH, DELETE } = methodsNotAllowed("POST");
