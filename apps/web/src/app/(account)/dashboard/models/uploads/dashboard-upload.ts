import { createTRPCContext } from "~/server/api/trpc";
import { requireScope } from "~/server/auth/caller";
import type { RouteContext } from "~/server/http/handle";
import { handleModelUpload, UPLOADS_PATH } from "~/server/services/models/model-uploads";
import { DASHBOARD_UPLOADS_PATH } from "./upload-path";

/**
 * One tus request from the dashboard: the same uploads as /api/v1/models/uploads
 * (handleModelUpload: the same store, limits and tenancy), authenticated as tRPC is — an API
 * key, or the session cookie of a same-site page acting for the organisation it names in
 * `x-proofgrid-org` (a member's). The API's routes take keys only; a browser holds a session.
 * A created upload's Location is pointed back here, so the client's PATCHes come here too.
 */
export async function handleDashboardUpload(req: Request, { requestId }: RouteContext): Promise<Response> {
  const ctx = await createTRPCContext({ headers: req.headers });
  if (ctx.authError) throw ctx.authError;
  const caller = requireScope(ctx.caller, "models:write");
  const res = await handleModelUpload(req, { orgId: caller.orgId, requestId });
  const location = res.headers.get("location");
  if (location?.startsWith(`${UPLOADS_PATH}/`)) {
    res.headers.set("location", `${DASHBOARD_UPLOADS_PATH}/${location.slice(UPLOADS_PATH.length + 1)}`);
  }
  return res;
}
