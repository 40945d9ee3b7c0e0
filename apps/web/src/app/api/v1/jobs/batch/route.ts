import { authenticateRequest } from "~/server/auth/api-keys";
import { requireScope } from "~/server/auth/caller";
import { getEnv } from "~/server/env";
import { methodsNotAllowed } from "~/server/http/api-fallback";
import { handle, json, parseWith } from "~/server/http/handle";
import { parseJsonBody, readBodyLimited } from "~/server/http/read-body";
import { submitBatchIdempotently, ZSubmitBatchRequest } from "~/server/services/jobs/submit-batch";

export const dynamic = "force-dynamic";

/** Submit a batch: `{ jobs: [{ model, input, region?, maxPricePerCu? }, …] }` → 201 with
 * `{ jobs }` in the same order, at most JOB_BATCH_MAX_ITEMS of them in a JSON body of at most
 * MAX_JOB_BODY_BYTES. One transaction and one hold for the whole batch: a bad item refuses
 * all of it (its message names it, `jobs[7]: …`), and nothing is written. A retry with the
 * same key (`Idempotency-Key` header or `idempotencyKey`) and body gets the same answer;
 * another body under that key, a 422. */
export const POST = handle(async (req) => {
  const caller = requireScope(await authenticateRequest(req.headers), "jobs:write");
  const request = parseWith(ZSubmitBatchRequest, parseJsonBody(await readBodyLimited(req, getEnv().MAX_JOB_BODY_BYTES)));
  const res = await submitBatchIdempotently({
    orgId: caller.orgId,
    request,
    headerKey: req.headers.get("idempotency-key"),
    apiKeyId: caller.kind === "apiKey" ? caller.keyId : null,
  });
  return json(res.body, { status: res.status });
});

// Other methods: a JSON 405 naming POST.
export const { GET, PUT, PATCH, DELETE } = methodsNotAllowed("POST");
