import { sql } from "@proofgrid/db/sql-client";
import { epochOf, getPorConfig } from "./por-config.ts";

/** Closed epochs, newest first: the public record of what verification found. */
export async function listEpochs(opts: { limit: number }) {
  const rows = await sql().$queryRaw<
    {
      id: number; starts_at: Date; ends_at: Date; customer_jobs: number; challenge_jobs: number; checks_run: number; passes: number;
      mismatches: number; frauds: number; slashes: number; slashed_amount: bigint; refunds: number; reexecuted: number; recheck_rate: number; checker_rewards: bigint;
    }[]
  >`SELECT * FROM epochs ORDER BY id DESC LIMIT ${Math.min(Math.max(1, opts.limit), 500)}`;
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
  const [row] = await sql().$queryRaw<{ checks: number; frauds: number; open: number; slashes: number }[]>`
    SELECT (SELECT count(*) FROM checks WHERE finished_at >= ${since})::int AS checks,
           (SELECT count(*) FROM checks WHERE finished_at >= ${since} AND verdict = 'fraud')::int AS frauds,
           (SELECT count(*) FROM checks WHERE status IN ('waiting', 'queued', 'leased'))::int AS open,
           (SELECT count(*) FROM slashes WHERE created_at >= ${since})::int AS slashes`;
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
