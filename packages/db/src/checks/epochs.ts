import type { Db } from "../db-types.ts";

/** A closed epoch: the public record of what verification found in it. */
export interface EpochRow {
  id: number;
  starts_at: Date;
  ends_at: Date;
  customer_jobs: number;
  challenge_jobs: number;
  checks_run: number;
  passes: number;
  mismatches: number;
  frauds: number;
  slashes: number;
  slashed_amount: bigint;
  refunds: number;
  reexecuted: number;
  recheck_rate: number;
  checker_rewards: bigint;
}

/** Whether the epoch was closed already. */
export async function isEpochClosed(db: Db, opts: { epoch: number }): Promise<boolean> {
  const done = await db.$queryRaw<{ id: number }[]>`SELECT id FROM epochs WHERE id = ${opts.epoch}`;
  return done.length > 0;
}

/** Records a closed epoch; a second call for the same id changes nothing. */
export async function insertEpoch(db: Db, opts: { row: EpochRow }): Promise<void> {
  const r = opts.row;
  await db.$executeRaw`
    INSERT INTO epochs (id, starts_at, ends_at, customer_jobs, challenge_jobs, checks_run, passes, mismatches, frauds, slashes,
                        slashed_amount, refunds, reexecuted, recheck_rate, checker_rewards)
    VALUES (${r.id}, ${r.starts_at}, ${r.ends_at}, ${r.customer_jobs}, ${r.challenge_jobs}, ${r.checks_run}, ${r.passes},
            ${r.mismatches}, ${r.frauds}, ${r.slashes}, ${r.slashed_amount}, ${r.refunds},
            ${r.reexecuted}, ${r.recheck_rate}, ${r.checker_rewards})
    ON CONFLICT (id) DO NOTHING`;
}

/** Closed epochs, newest first, at most `limit`. */
export async function listEpochRows(db: Db, opts: { limit: number }): Promise<EpochRow[]> {
  return db.$queryRaw<EpochRow[]>`
    SELECT id, starts_at, ends_at, customer_jobs, challenge_jobs, checks_run, passes, mismatches, frauds, slashes,
           slashed_amount, refunds, reexecuted, recheck_rate, checker_rewards, closed_at
    FROM epochs ORDER BY id DESC LIMIT ${opts.limit}`;
}
