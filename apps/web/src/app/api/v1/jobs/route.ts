import { authenticateRequest } from "~/server/auth/api-keys";
import { requireScope } from "~/server/auth/caller";
import { getEnv } from "~/server/env";
import { handle, json, parseWith } from "~/server/http/handle";
import { readSubmission } from "~/server/http/read-submission";
import { listJobs, ZListJobsRequest } from "~/server/services/jobs/list-jobs";
import { submitJobIdempotently, ZSubmitJobRequest } from "~/server/services/jobs/submit-job";
import { methodsNotAllowed } from "~/server/http/api-fallback";

export const dynamic = "force-dynamic";

/** Submit a job: `{ model, input, idempotencyKey?, region?, maxPricePerCu? }` → 201 with the job.
 * As JSON, or multipart/form-data with the input as a `file` part (http/read-submission.ts).
 * A retry with the same key (`Idempotency-Key` header or `idempotencyKey`) and body gets the
 * same answer; another body under that key, a 422. An input changed to fit the model (a
 * photo scaled, audio resampled) is said in `inputAdjustments`. */
export const POST = handle(async (req) => {
  const caller = requireScope(await authenticateRequest(req.headers), "jobs:write");
  const request = parseWith(ZSubmitJobRequest, await readSubmission(req, getEnv().MAX_JOB_BODY_BYTES));
  const res = await submitJobIdempotently({
    orgId: caller.orgId,
    request,
    headerKey: req.headers.get("idempotency-key"),
    apiKeyId: caller.kind === "apiKey" ? caller.keyId : null,
  });
  return json(res.body, { status: res.status });
});

export const GET = handle(async (req) => {
  const caller = requireScope(await authenticateRequest(req.headers), "jobs:read");
  const q = new URL(req.url).searchParams;
  const request = parseWith(ZListJobsRequest, {
    state: q.get("state") ?? undefined,
    model: q.get("model") ?? undefined,
    limit: q.has("limit") ? Number(q.get("limit")) : undefined,
    cursor: q.get("cursor") ?? undefined,
  });
  return json(await listJobs({ orgId: caller.orgId, request }));
});

// Other methods: a JSON 405 naming these.
export const { PUT, PATCH, DELETE } = methodsNotAllowed("GET", "POST");
