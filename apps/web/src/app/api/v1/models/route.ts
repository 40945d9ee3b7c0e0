import { authenticateRequest } from "~/server/auth/api-keys";
import { requireScope } from "~/server/auth/caller";
import { handle, json } from "~/server/http/handle";
import { listModels } from "~/server/services/models/list-models";

export const dynamic = "force-dynamic";

export const GET = handle(async (req) => {
  requireScope(await authenticateRequest(req.headers), "models:read");
  return json({ models: await listModels() });
});
