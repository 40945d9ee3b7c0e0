import { authenticateRequest } from "~/server/auth/api-keys";
import { requireScope } from "~/server/auth/caller";
import { handle, json, parseWith } from "~/server/http/handle";
import { cancelJob } from "~/server/services/jobs/cancel-job";
import { getJobOrThrow, waitForJob } from "~/server/services/jobs/get-job";
import { methodsNotAllowed } from "~/server/http/api-fallback";
import { ZWait } from "./schemas";

export const dynamic = "force-dynamic";

type Params = { params: Promise<{ id: string }> };

/** Get a job; `?wait=<ms>` (≤ 60 s) holds the request until it finishes. */
export const GET = handle(async (req, _ctx, { params }: Params) => {
  const caller = requireScope(await authenticateRequest(req.headers), "jobs:read");
  const { id } = await params;
  const wait = new URL(req.url).searchParams.get("wait");
  if (wait !== null) {
    const waitMs = parseWith(ZWait, wait);
    return json(await waitForJob({ orgId: caller.orgId, jobId: id, waitMs, signal: req.signal }));
  }
  return json(await getJobOrThrow({ orgId: caller.orgId, jobId: id }));
});

export const DELETE = handle(async (req, _ctx, { params }: Params) => {
  const caller = requireScope(await authenticateRequest(req.headers), "jobs:write");
  const { id } = await params;
  return json(await cancelJob({ orgId: caller.orgId, jobId: id }));
});

// Other methods: a JSON 405 naming these.
export const { POST, PUT, PATCH } = methodsNotAllowed("GET", "DELETE");
