import { authenticateRequest } from "~/server/auth/api-keys";
import { requireScope } from "~/server/auth/caller";
import { AppError } from "~/server/errors";
import { methodsNotAllowed } from "~/server/http/api-fallback";
import { handle, json, parseWith } from "~/server/http/handle";
import { parseJsonBody, readBodyLimited } from "~/server/http/read-body";
import { listModels } from "~/server/services/models/list-models";
import {
  MAX_DIRECT_UPLOAD_BYTES,
  registerModelBytes,
  registerUploadedModel,
  ZRegisterModelQuery,
  ZRegisterModelRequest,
} from "~/server/services/models/register-model";

export const dynamic = "force-dynamic";

/** A registration's JSON: its options, a class list of `labels` included. */
const MAX_JSON_BYTES = 256 * 1024;

/** The built-in catalog, the organisation's uploaded models, and everyone's public ones. */
export const GET = handle(async (req) => {
  const caller = requireScope(await authenticateRequest(req.headers), "models:read");
  return json({ models: await listModels({ orgId: caller.orgId }) });
});

/**
 * Register an uploaded model (issue 17): JSON `{ uploadId, name, visibility?, preprocessing?,
 * postprocessing?, dimBounds? }` for a finished resumable upload (POST /api/v1/models/uploads),
 * or the .onnx file itself as an `application/octet-stream` body of at most 8 MiB with the
 * options in the query. 201 with the model; 200 when the organisation already has these bytes;
 * 422 (413 for a size limit) with the reason when the checks refuse it, and nothing stored.
 */
export const POST = handle(async (req) => {
  const caller = requireScope(await authenticateRequest(req.headers), "models:write");
  const keyId = caller.kind === "apiKey" ? caller.keyId : null;
  const type = (req.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
  if (type === "application/octet-stream") {
    const query = parseWith(ZRegisterModelQuery, Object.fromEntries(new URL(req.url).searchParams));
    const fromJson = (name: string, value: string | undefined, example: string): unknown => {
      try {
        return value === undefined ? undefined : JSON.parse(value);
      } catch {
        throw new AppError("BAD_REQUEST", `invalid request: ${name} must be JSON, e.g. ${example}`);
      }
    };
    const options = parseWith(ZRegisterModelRequest.omit({ uploadId: true }), {
      ...query,
      royalty: query.royalty.toString(),
      dimBounds: fromJson("dimBounds", query.dimBounds, '{"batch":8}'),
      mean: fromJson("mean", query.mean, "[0.5,0.5,0.5]"),
      std: fromJson("std", query.std, "[0.5,0.5,0.5]"),
      labels: fromJson("labels", query.labels, '["cat","dog"]'),
    });
    const bytes = await readBodyLimited(req, MAX_DIRECT_UPLOAD_BYTES);
    const { status, model } = await registerModelBytes({ orgId: caller.orgId, keyId, bytes, options });
    return json(model, { status });
  }
  const request = parseWith(ZRegisterModelRequest, parseJsonBody(await readBodyLimited(req, MAX_JSON_BYTES)));
  const { status, model } = await registerUploadedModel({ orgId: caller.orgId, keyId, request });
  return json(model, { status });
});

// Other methods: a JSON 405 naming these.
export const { PUT, PATCH, DELETE } = methodsNotAllowed("GET", "POST");
