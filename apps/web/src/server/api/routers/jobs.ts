import { z } from "zod";
import { cancelJob } from "../../services/jobs/cancel-job.ts";
import { getJobOrThrow, waitForJob } from "../../services/jobs/get-job.ts";
import { getJobInputPreview } from "../../services/jobs/get-job-input-preview.ts";
import { listJobs, ZListJobsRequest } from "../../services/jobs/list-jobs.ts";
import { submitJobIdempotently, ZSubmitJobRequest } from "../../services/jobs/submit-job.ts";
import { createTRPCRouter, orgProcedure } from "../trpc.ts";

export const jobsRouter = createTRPCRouter({
  submit: orgProcedure("jobs:write")
    .input(ZSubmitJobRequest)
    .mutation(
      async ({ ctx, input }) =>
        (
          await submitJobIdempotently({
            orgId: ctx.org.orgId,
            request: input,
            headerKey: ctx.idempotencyKeyHeader,
            apiKeyId: ctx.org.kind === "apiKey" ? ctx.org.keyId : null,
          })
        ).body,
    ),
  get: orgProcedure("jobs:read")
    .input(z.object({ id: z.string().max(64), waitMs: z.number().int().min(0).max(60_000).optional() }))
    .query(({ ctx, input, signal }) =>
      input.waitMs
        ? waitForJob({ orgId: ctx.org.orgId, jobId: input.id, waitMs: input.waitMs, signal })
        : getJobOrThrow({ orgId: ctx.org.orgId, jobId: input.id }),
    ),
  /** A bounded preview of the job's input, for the job page. */
  inputPreview: orgProcedure("jobs:read")
    .input(z.object({ id: z.string().max(64) }))
    .query(({ ctx, input }) => getJobInputPreview({ orgId: ctx.org.orgId, jobId: input.id })),
  list: orgProcedure("jobs:read")
    .input(ZListJobsRequest)
    .query(({ ctx, input }) => listJobs({ orgId: ctx.org.orgId, request: input })),
  cancel: orgProcedure("jobs:write")
    .input(z.object({ id: z.string().max(64) }))
    .mutation(({ ctx, input }) => cancelJob({ orgId: ctx.org.orgId, jobId: input.id })),
});
