import { countWorkerPasses, queueReexecutionCheck, type RecheckExposureRow } from "@proofgrid/db/checks/reexecution-sampling";
import type { CountedNodeRow } from "@proofgrid/db/nodes/job-completion";
import type { Db } from "@proofgrid/db/db-types";
import { deterrentRecheckRate, reexecutionRate, shouldSample } from "@proofgrid/por";
import { providerStanding } from "@proofgrid/por";
import { probationFor, slashableForDeterrence } from "./exposure.ts";
import { epochOf, getPorConfig, samplingSecret } from "./por-config.ts";

let secret: Buffer | undefined;

/**
 * The re-execution rate a job gets: the sampling policy's rate for the node's risk; the cap
 * while the node is on its provider's probation (a slashed provider's node that has not yet
 * passed a ladder window of checks); and never below the deterrent rate g/(g + D) for the
 * job's payout g against what a slash could take from the node (packages/por
 * economics/exposure: 1 for a starter node with nothing bonded, so every one of its jobs is
 * re-executed until its provider stakes).
 */
export async function jobRecheckRate(
  tx: Db,
  node: { nodeId: string; orgId: string; reputation: number; completedJobs: number },
  payout: bigint,
  /** Its bonded stake and its provider's slashes, read with its completed-job count. */
  row: RecheckExposureRow,
): Promise<{ rate: number; policy: number; deterrent: number; probation: boolean }> {
  const config = getPorConfig();
  const policy = reexecutionRate({ reputation: node.reputation, completedJobs: node.completedJobs, policy: config.sampling });
  // A slashed provider's node also reads its passes.
  const standing = providerStanding(row?.frauds ?? 0, config.exposure);
  let probation = false;
  if (standing.frauds > 0) {
    const passes = await countWorkerPasses(tx, { nodeId: node.nodeId });
    probation = probationFor(standing, passes).recheckAtCap;
  }
  const stake = [{ balance: row?.bonded ?? 0n }];
  // With exposure off (POR_STAKE_REQUIRED=0) there is no stake to weigh the payout against.
  const deterrent = config.stakeRequired
    ? deterrentRecheckRate(payout, slashableForDeterrence(BigInt(stake[0]?.balance ?? 0n), standing))
    : 0;
  const rate = Math.min(1, Math.max(policy, probation ? config.sampling.reexecution.cap : 0, deterrent));
  return { rate, policy, deterrent, probation };
}

/**
 * Decides — by HMAC of the job id under the platform's secret, at the rate above, for the
 * node's experience with this job counted — whether a checker re-executes it.
 * Challenge jobs are checked through their own check and are not sampled again. Runs in the
 * completion's transaction.
 */
export async function sampleForReexecution(
  tx: Db,
  job: { jobId: string; nodeId: string; orgId: string; modelId: string; purpose: string; payout: bigint },
  /** The node's row as the completion's store counted the job (storeLeasedJobResult); null if the node is gone. */
  node: CountedNodeRow | null,
) {
  if (!node || job.purpose === "challenge") return false;
  const { rate } = await jobRecheckRate(
    tx,
    { nodeId: job.nodeId, orgId: job.orgId, reputation: node.reputation_score, completedJobs: node.completed_jobs - 1 },
    job.payout,
    node,
  );
  secret ??= samplingSecret();
  if (!shouldSample(secret, job.jobId, rate)) return false;
  await queueReexecutionCheck(tx, {
    subjectNodeId: job.nodeId,
    subjectOrgId: job.orgId,
    jobId: job.jobId,
    modelId: job.modelId,
    epoch: epochOf(Date.now()),
    rate,
  });
  return true;
}
