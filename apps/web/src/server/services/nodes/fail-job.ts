import type { FailJobReply, FailJobRequest } from "@proofgrid/por";
import { sqlTransaction } from "@proofgrid/db/sql-client";
import { AppError } from "../../errors.ts";
import { logger } from "../../logger.ts";
import { releaseHold } from "../jobs/cancel-job.ts";
import type { NodeIdentity } from "./authenticate-node.ts";

// A job handed back by graceful shutdowns does not burn its retries, but a bound stops a
// job that crashes every worker from circulating forever.
const MAX_ATTEMPTS_CEILING = 10;

export async function failJob(opts: { node: NodeIdentity; request: FailJobRequest }): Promise<FailJobReply> {
  const { node, request } = opts;
  const outcome = await sqlTransaction(async (tx) => {
    const rows = await tx.$queryRaw<{ id: string; org_id: string; state: string; node_id: string | null; attempt: number; max_attempts: number; price: bigint }[]>`
      SELECT id, org_id, state::text AS state, node_id, attempt, max_attempts, price FROM jobs
      WHERE id = ${request.jobId}::uuid FOR UPDATE`;
    const job = rows[0];
    if (!job) throw new AppError("NOT_FOUND", "job not found");
    if (job.state !== "running" || job.node_id !== node.id || job.attempt !== request.attempt) {
      throw new AppError("CONFLICT", `lease lost: job is ${job.state} at attempt ${job.attempt}`);
    }
    const release = request.kind === "release";
    const maxAttempts = release ? Math.min(job.max_attempts + 1, MAX_ATTEMPTS_CEILING) : job.max_attempts;
    const requeue = request.retryable && job.attempt < maxAttempts;
    await tx.$executeRaw`
      UPDATE job_attempts SET outcome = ${release ? "released" : "failed"}, finished_at = now()
      WHERE job_id = ${job.id}::uuid AND attempt = ${job.attempt}`;
    if (requeue) {
      await tx.$executeRaw`
        UPDATE jobs SET state = 'queued', node_id = NULL, lease_expires_at = NULL, max_attempts = ${maxAttempts},
          error = ${release ? null : request.error || null}
        WHERE id = ${job.id}::uuid`;
      return "queued" as const;
    }
    await tx.$executeRaw`
      UPDATE jobs SET state = 'failed', lease_expires_at = NULL, finished_at = now(), error = ${request.error || "failed"}
      WHERE id = ${job.id}::uuid`;
    await releaseHold(tx, { orgId: job.org_id, jobId: job.id, price: BigInt(job.price), reason: "failed" });
    return "failed" as const;
  });
  logger.info({ jobId: request.jobId, nodeId: node.id, attempt: request.attempt, kind: request.kind, outcome }, "job handed back");
  return { state: outcome };
}
