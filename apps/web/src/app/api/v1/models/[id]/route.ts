import { authenticateRequest } from "~/server/auth/api-keys";
import { requireScope } from "~/server/auth/caller";
import { methodsNotAllowed } from "~/server/http/api-fallback";
import { handle, json, parseWith } from "~/server/http/handle";
import { parseJsonBody, readBodyLimited } from "~/server/http/read-body";
import { deleteCustomModel } from "~/server/services/models/delete-model";
import { getModel } from "~/server/services/models/list-models";
import { updateCustomModel, ZUpdateModelRequest } from "~/server/services/models/update-model";

export const dynamic = "force-dynamic";

type Params = { params: Promise<{ id: string }> };

/** One model by id (sha256) or slug: built-in, the organisation's own, or public; another organisation's private model is a 404. */
export const GET = handle(async (req, _ctx, { params }: Params) => {
  const caller = requireScope(await authenticateRequest(req.headers), "models:read");
  const { id } = await params;
  return json(await getModel({ orgId: caller.orgId, ref: id }));
});

/** The organisation gives up its uploaded model: it leaves the organisation's list (and the public one). */
export const DELETE = handle(async (req, _ctx, { params }: Params) => {
  const caller = requireScope(await authenticateRequest(req.headers), "models:write");
  const { id } = await params;
  return json(await deleteCustomModel({ orgId: caller.orgId, id }));
});

/** The owner changes its uploaded model's name, visibility or royalty. */
export const PATCH = handle(async (req, _ctx, { params }: Params) => {
  const caller = requireScope(await authenticateRequest(req.headers), "models:write");
  const { id } = await params;
  const request = parseWith(ZUpdateModelRequest, parseJsonBody(await readBodyLimited(req, 1_024)));
  return json(await updateCustomModel({ orgId: caller.orgId, id, request }));
});

// Other methods: a JSON 405 naming these.
export const { POST, PUT } = methodsNotAllowed("GET", "PATCH", "DELETE");
