import type { FailJobReply, FailJobRequest } from "@proofgrid/por";
import { closeJobAttempt, lockJobForHandBack, markJobFailed, requeueJob } from "@proofgrid/db/nodes/job-hand-back";
import { sqlTransaction } from "@proofgrid/db/sql-client";
import { AppError } from "../../errors.ts";
import { logger } from "../../logger.ts";
import { releaseHold } from "../jobs/cancel-job.ts";
import { enqueueJobWebhook } from "../webhooks/webhook-events.ts";
import type { NodeIdentity } from "./authenticate-node.ts";

// A job handed back by graceful shutdowns does not burn its retries, but a bound stops a
// job that crashes every worker from circulating forever.
const MAX_ATTEMPTS_CEILING = 10;

export async function failJob(opts: { node: NodeIdentity; request: FailJobRequest }): Promise<FailJobReply> {
  const { node, request } = opts;
  const outcome = await sqlTransaction(async (tx) => {
    const job = await lockJobForHandBack(tx, { jobId: request.jobId });
    if (!job) throw new AppError("NOT_FOUND", "job not found");
    if (job.state !== "running" || job.node_id !== node.id || job.attempt !== request.attempt) {
      throw new AppError("CONFLICT", `lease lost: job is ${job.state} at attempt ${job.attempt}`);
    }
    const release = request.kind === "release";
    const maxAttempts = release ? Math.min(job.max_attempts + 1, MAX_ATTEMPTS_CEILING) : job.max_attempts;
    const requeue = request.retryable && job.attempt < maxAttempts;
    await closeJobAttempt(tx, { jobId: job.id, attempt: job.attempt, outcome: release ? "released" : "failed" });
    if (requeue) {
      await requeueJob(tx, { jobId: job.id, maxAttempts, error: release ? null : request.error || null });
      return "queued" as const;
    }
    await markJobFailed(tx, { jobId: job.id, error: request.error || "failed" });
    await releaseHold(tx, { orgId: job.org_id, jobId: job.id, price: BigInt(job.price), reason: "failed" });
    await enqueueJobWebhook(tx, { orgId: job.org_id, jobId: job.id, type: "job.failed" });
    return "failed" as const;
  });
  logger.info({ jobId: request.jobId, nodeId: node.id, attempt: request.attempt, kind: request.kind, outcome }, "job handed back");
  return { state: outcome };
}
