import { listEpochRows } from "@proofgrid/db/checks/epochs";
import { countVerificationSince } from "@proofgrid/db/checks/verification-counts";
import { sql } from "@proofgrid/db/sql-client";
import { epochOf, getPorConfig } from "./por-config.ts";

/** Closed epochs, newest first: the public record of what verification found. */
export async function listEpochs(opts: { limit: number }) {
  const rows = await listEpochRows(sql(), { limit: Math.min(Math.max(1, opts.limit), 500) });
  return rows.map((r) => ({
    epoch: r.id,
    startsAt: r.starts_at.toISOString(),
    endsAt: r.ends_at.toISOString(),
    customerJobs: r.customer_jobs,
    challengeJobs: r.challenge_jobs,
    checksRun: r.checks_run,
    passes: r.passes,
    mismatches: r.mismatches,
    frauds: r.frauds,
    slashes: r.slashes,
    slashedAmount: r.slashed_amount.toString(),
    refunds: r.refunds,
    reexecuted: r.reexecuted,
    recheckRate: r.recheck_rate,
    checkerRewards: r.checker_rewards.toString(),
  }));
}

/** The running epoch, counted live, and the policy in force. */
export async function currentVerification() {
  const config = getPorConfig();
  const epoch = epochOf(Date.now());
  const since = new Date(epoch * config.epochMs);
  const row = await countVerificationSince(sql(), { since });
  return {
    epoch,
    epochMs: config.epochMs,
    startsAt: since.toISOString(),
    checksDone: row?.checks ?? 0,
    frauds: row?.frauds ?? 0,
    openChecks: row?.open ?? 0,
    slashes: row?.slashes ?? 0,
    policy: {
      reexecution: config.sampling.reexecution,
      canary: config.sampling.canary,
      plantedRate: config.plantedRate,
      slashSafety: config.slashSafety,
    },
  };
}
