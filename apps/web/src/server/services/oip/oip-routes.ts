import { authenticateRequest } from "../../auth/api-keys.ts";
import { requireScope } from "../../auth/caller.ts";
import { getEnv } from "../../env.ts";
import { json } from "../../http/handle.ts";
import { parseJsonBody, readBodyLimited } from "../../http/read-body.ts";
import { getModelMetadata, getModelReady } from "./get-model-metadata.ts";
import { inferModel } from "./infer-model.ts";
import { handleOip } from "./oip-http.ts";

// The per-model handlers, shared by `/v2/models/{name}/…` and `/v2/models/{name}/versions/{version}/…`
// (a route file re-exports them; without a version the model's one version is used).

type ModelParams = { params: Promise<{ name: string; version?: string }> };

/** GET model metadata: name, versions, platform, and the tensors infer takes and returns. */
export const getModelMetadataRoute = handleOip(async (req, _ctx, { params }: ModelParams) => {
  const caller = requireScope(await authenticateRequest(req.headers), "models:read");
  return json(await getModelMetadata({ ...(await params), orgId: caller.orgId }));
});

/** GET model ready: `{ name, ready }`, ready when an online worker serves the model. */
export const getModelReadyRoute = handleOip(async (req, _ctx, { params }: ModelParams) => {
  const caller = requireScope(await authenticateRequest(req.headers), "models:read");
  return json(await getModelReady({ ...(await params), orgId: caller.orgId }));
});

/** POST infer: one Proofgrid job; its id is in `x-proofgrid-job-id` and `parameters.proofgrid_job_id`. */
export const inferRoute = handleOip(async (req, _ctx, { params }: ModelParams) => {
  const caller = requireScope(await authenticateRequest(req.headers), "jobs:write");
  const { name, version } = await params;
  const body = parseJsonBody(await readBodyLimited(req, getEnv().MAX_JOB_BODY_BYTES));
  const result = await inferModel({
    orgId: caller.orgId,
    apiKeyId: caller.kind === "apiKey" ? caller.keyId : null,
    name,
    version,
    body,
    signal: req.signal,
  });
  return json(result.body, { headers: { "x-proofgrid-job-id": result.jobId } });
});
