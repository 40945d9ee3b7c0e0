import { authenticateRequest } from "~/server/auth/api-keys";
import { requireScope } from "~/server/auth/caller";
import { getEnv } from "~/server/env";
import { json } from "~/server/http/handle";
import { parseJsonBody, readBodyLimited } from "~/server/http/read-body";
import { createEmbeddings } from "~/server/services/openai/create-embeddings";
import { handleOpenAi, openAiMethodsNotAllowed } from "~/server/services/openai/openai-http";

export const dynamic = "force-dynamic";

/** OpenAI-compatible embeddings: one call is one Proofgrid job; its id is in `x-proofgrid-job-id`. */
export const POST = handleOpenAi(async (req) => {
  const caller = requireScope(await authenticateRequest(req.headers), "jobs:write");
  const body = parseJsonBody(await readBodyLimited(req, getEnv().MAX_JOB_BODY_BYTES));
  const result = await createEmbeddings({
    orgId: caller.orgId,
    apiKeyId: caller.kind === "apiKey" ? caller.keyId : null,
    body,
    signal: req.signal,
  });
  return json(result.body, { headers: { "x-proofgrid-job-id": result.jobId } });
});

// Other methods: an OpenAI-shaped 405 naming this one.
export const { GET, PUT, PATCH, DELETE } = openAiMethodsNotAllowed("POST");
