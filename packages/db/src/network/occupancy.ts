import type { Db } from "../db-types.ts";

// Both reads look at the jobs created within `lookback` (a Postgres interval, e.g. "1 hour")
// before `at`: a job holds a slot for at most a lease chain that long.

export interface OccupancyOptions {
  at: Date;
  /** Look-back for jobs still open at `at`, as a Postgres interval. */
  lookback: string;
}

/** Jobs each worker held (assigned or running) at `at`; workers that held none are absent. */
export async function countBusyNodesAt(db: Db, opts: OccupancyOptions): Promise<{ node_id: string; n: number }[]> {
  const { at, lookback } = opts;
  return db.$queryRaw<{ node_id: string; n: number }[]>`
      SELECT node_id, count(*)::int AS n FROM jobs
      WHERE state = ANY(ARRAY['assigned', 'running', 'succeeded', 'failed', 'canceled', 'expired']::"JobState"[])
        AND created_at > ${at}::timestamp - ${lookback}::interval AND created_at <= ${at}
        AND node_id IS NOT NULL AND assigned_at <= ${at} AND (finished_at IS NULL OR finished_at > ${at})
      GROUP BY node_id`;
}

/** Jobs queued at `at`: created, not yet assigned nor finished. */
export async function countQueuedJobsAt(db: Db, opts: OccupancyOptions): Promise<number> {
  const { at, lookback } = opts;
  const rows = await db.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM jobs
      WHERE state = ANY(ARRAY['queued', 'assigned', 'running', 'succeeded', 'failed', 'canceled', 'expired']::"JobState"[])
        AND created_at > ${at}::timestamp - ${lookback}::interval AND created_at <= ${at}
        AND (assigned_at IS NULL OR assigned_at > ${at}) AND (finished_at IS NULL OR finished_at > ${at})`;
  return rows[0]?.n ?? 0;
}
