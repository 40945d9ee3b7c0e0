import type { Db } from "@proofgrid/db/db-types";
import { reexecutionRate, shouldSample } from "@proofgrid/por";
import { epochOf, getPorConfig, samplingSecret } from "./por-config.ts";

let secret: Buffer | undefined;

/**
 * Counts the completed job toward the worker's experience and decides — by HMAC of the job
 * id under the platform's secret, at the worker's risk-based rate (por's sampling policy) —
 * whether a checker re-executes it. Challenge jobs are checked through their own check and
 * are not sampled again. Runs in the completion's transaction.
 */
export async function sampleForReexecution(tx: Db, job: { jobId: string; nodeId: string; orgId: string; modelId: string; purpose: string }) {
  const rows = await tx.$queryRaw<{ completed_jobs: number; reputation_score: number }[]>`
    UPDATE nodes SET completed_jobs = completed_jobs + 1 WHERE id = ${job.nodeId}::uuid RETURNING completed_jobs, reputation_score`;
  const node = rows[0];
  if (!node || job.purpose === "challenge") return false;
  const config = getPorConfig();
  const rate = reexecutionRate({ reputation: node.reputation_score, completedJobs: node.completed_jobs - 1, policy: config.sampling });
  secret ??= samplingSecret();
  if (!shouldSample(secret, job.jobId, rate)) return false;
  await tx.$executeRaw`
    INSERT INTO checks (id, kind, status, subject_node_id, subject_org_id, job_id, model_id, epoch)
    VALUES (gen_random_uuid(), 'reexecution', 'queued', ${job.nodeId}::uuid, ${job.orgId}::uuid, ${job.jobId}::uuid, ${job.modelId}, ${epochOf(Date.now())})`;
  await tx.$executeRaw`UPDATE jobs SET verification = 'pending' WHERE id = ${job.jobId}::uuid`;
  return true;
}
