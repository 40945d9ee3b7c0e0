import { authenticateRequest } from "~/server/auth/api-keys";
import { requireScope } from "~/server/auth/caller";
import { getEnv } from "~/server/env";
import { handle, json, parseWith } from "~/server/http/handle";
import { readSubmission } from "~/server/http/read-submission";
import { listJobs, ZListJobsRequest } from "~/server/services/jobs/list-jobs";
import { submitJobIdempotently, ZSubmitJobRequest } from "~/server/services/jobs/submit-job";
import { methodsNotAllowed } from "~/server/http/api-fallback";
import { submitWait } from "~/server/http/prefer-wait";
import { waitForJob } from "~/server/services/jobs/get-job";
import { logger } from "~/server/logger";

export const dynamic = "force-dynamic";

/** Submit a job: `{ model, input, idempotencyKey?, region?, maxPricePerCu? }` → 201 with the job.
 * As JSON, or multipart/form-data with the input as a `file` part (http/read-submission.ts).
 * A retry with the same key (`Idempotency-Key` header or `idempotencyKey`) and body gets the
 * same answer; another body under that key, a 422. An input changed to fit the model (a
 * photo scaled, audio resampled) is said in `inputAdjustments`. `?wait=<ms>` or
 * `Prefer: wait=<s>` holds the answer until the job has finished (http/prefer-wait.ts). */
export const POST = handle(async (req) => {
  const caller = requireScope(await authenticateRequest(req.headers), "jobs:write");
  const wait = submitWait(new URL(req.url), req.headers);
  const request = parseWith(ZSubmitJobRequest, await readSubmission(req, getEnv().MAX_JOB_BODY_BYTES));
  const res = await submitJobIdempotently({
    orgId: caller.orgId,
    request,
    headerKey: req.headers.get("idempotency-key"),
    apiKeyId: caller.kind === "apiKey" ? caller.keyId : null,
  });
  if (!wait) return json(res.body, { status: res.status });
  // A synchronous submit: the answer waits for the job (as GET ?wait= does), one request
  // instead of two. A job just created is queued, so its wait starts without a read; a
  // replayed answer's job (or an older job its key named) may have ended since, so that
  // one is read first.
  const { inputAdjustments } = res.body;
  const fresh = !res.replayed && res.body.state === "queued";
  let job: Awaited<ReturnType<typeof waitForJob>>;
  try {
    job = await waitForJob({ orgId: caller.orgId, jobId: res.body.id, waitMs: wait.waitMs, signal: req.signal, fresh });
  } catch (err) {
    // The job exists and its price is held: a failed wait must not answer an error, which a
    // client without an idempotency key would retry into a second job. It gets the job as
    // submitted, to fetch later.
    logger.warn({ err, jobId: res.body.id }, "synchronous submit: the wait failed; answering the job as submitted");
    return json(res.body, { status: res.status });
  }
  return json(inputAdjustments ? { ...job, inputAdjustments } : job, {
    status: res.status,
    headers: wait.applied ? { "preference-applied": wait.applied, vary: "Prefer" } : {},
  });
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
