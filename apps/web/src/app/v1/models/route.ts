import { authenticateRequest } from "~/server/auth/api-keys";
import { requireScope } from "~/server/auth/caller";
import { json } from "~/server/http/handle";
import { listModels } from "~/server/services/models/list-models";
import { handleOpenAi, openAiMethodsNotAllowed } from "~/server/services/openai/openai-http";

export const dynamic = "force-dynamic";

/** OpenAI-compatible model list: the catalog, `id` = the slug the other routes take. */
export const GET = handleOpenAi(async (req) => {
  requireScope(await authenticateRequest(req.headers), "models:read");
  const models = await listModels();
  return json({
    object: "list",
    data: models.map((m) => ({ id: m.slug, object: "model", created: 0, owned_by: "proofgrid", kind: m.kind })),
  });
});

export const { POST, PUT, PATCH, DELETE } = openAiMethodsNotAllowed("GET");
