import { authenticateRequest } from "~/server/auth/api-keys";
import { requireScope } from "~/server/auth/caller";
import { methodsNotAllowed } from "~/server/http/api-fallback";
import { handle, json } from "~/server/http/handle";
import { getCapabilityEvidence } from "~/server/services/providers/get-capability-evidence";

export const dynamic = "force-dynamic";

/** The evidence behind this worker's credited capability (each timed job, the medians, the
 * decision): its provider only; another provider's node is 404. */
export const GET = handle(async (req, _ctx, { params }: { params: Promise<{ id: string }> }) => {
  const caller = requireScope(await authenticateRequest(req.headers), "nodes:read");
  const { id } = await params;
  return json(await getCapabilityEvidence({ orgId: caller.orgId, nodeId: id }));
});

// Other methods: a JSON 405 naming these.
export const { POST, PUT, PATCH, DELETE } = methodsNotAllowed("GET");
