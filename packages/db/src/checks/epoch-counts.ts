import type { Db } from "../db-types.ts";

// What happened in [startsAt, endsAt): the counts an epoch's row records (por-loops closeEpoch).

export interface EpochWindow {
  startsAt: Date;
  endsAt: Date;
}

/** Jobs that succeeded in the window: customer jobs (anything not a challenge) and challenge jobs. */
export async function countEpochJobs(db: Db, opts: EpochWindow): Promise<{ customer: number; challenge: number } | null> {
  const { startsAt, endsAt } = opts;
  const [jobs] = await db.$queryRaw<{ customer: number; challenge: number }[]>`
    SELECT count(*) FILTER (WHERE purpose <> 'challenge')::int AS customer, count(*) FILTER (WHERE purpose = 'challenge')::int AS challenge
    FROM jobs WHERE state = 'succeeded' AND finished_at >= ${startsAt} AND finished_at < ${endsAt}`;
  return jobs ?? null;
}

export interface EpochCheckCounts {
  run: number;
  passes: number;
  /** Disputes: a checker disagreed with the worker. */
  mismatches: number;
  frauds: number;
  reexecuted: number;
}

/** Checks finished in the window, by verdict and kind. */
export async function countEpochChecks(db: Db, opts: EpochWindow): Promise<EpochCheckCounts | null> {
  const { startsAt, endsAt } = opts;
  const [checks] = await db.$queryRaw<EpochCheckCounts[]>`
    SELECT count(*)::int AS run,
           count(*) FILTER (WHERE verdict = 'pass')::int AS passes,
           count(*) FILTER (WHERE kind = 'dispute')::int AS mismatches,
           count(*) FILTER (WHERE verdict = 'fraud')::int AS frauds,
           count(*) FILTER (WHERE kind = 'reexecution')::int AS reexecuted
    FROM checks WHERE status = 'done' AND finished_at >= ${startsAt} AND finished_at < ${endsAt}`;
  return checks ?? null;
}

/** Slashes made in the window, the amount they took and how many were (partly) refunded. */
export async function countEpochSlashes(db: Db, opts: EpochWindow): Promise<{ n: number; amount: bigint; refunds: number } | null> {
  const { startsAt, endsAt } = opts;
  const [slashes] = await db.$queryRaw<{ n: number; amount: bigint; refunds: number }[]>`
    SELECT count(*)::int AS n, coalesce(sum(amount), 0)::bigint AS amount, count(*) FILTER (WHERE refunded > 0)::int AS refunds
    FROM slashes WHERE created_at >= ${startsAt} AND created_at < ${endsAt}`;
  return slashes ?? null;
}
