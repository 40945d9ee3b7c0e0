import type { Db } from "../db-types.ts";

/** A model's queue and capacity as backpressure reads them (see drainRate in the web app). */
export interface ModelLoadRow {
  queued: number;
  slots: number;
  done: number;
  span_s: number | null;
  median_run_s: number | null;
}

/**
 * Queue depth, online slots, what finished over the last five minutes (and since when) and
 * the median run time of the last 200 jobs, for one model, in one statement.
 */
export async function loadModelLoad(db: Db, opts: { modelId: string }): Promise<ModelLoadRow | undefined> {
  const { modelId } = opts;
  const rows = await db.$queryRaw<ModelLoadRow[]>`
    SELECT (SELECT count(*) FROM jobs WHERE state = 'queued' AND model_id = ${modelId})::int AS queued,
           (SELECT coalesce(sum(max_concurrency), 0) FROM nodes
             WHERE role = 'worker' AND status = 'online' AND paused_at IS NULL AND ${modelId} = ANY(models))::int AS slots,
           d.done, d.span_s,
           (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY run_s) FROM (
              SELECT extract(epoch FROM finished_at - started_at)::float8 AS run_s FROM jobs
              WHERE model_id = ${modelId} AND state = 'succeeded' AND started_at IS NOT NULL
                AND finished_at > now() - interval '5 minutes'
              ORDER BY finished_at DESC LIMIT 200) r)::float8 AS median_run_s
    FROM (SELECT count(*)::int AS done, extract(epoch FROM now() - min(finished_at))::float8 AS span_s FROM jobs
          WHERE model_id = ${modelId} AND state = 'succeeded' AND finished_at > now() - interval '5 minutes') d`;
  return rows[0];
}

/** Queued jobs of the model created before `createdAt`: those ahead of a job in its queue. */
export async function countQueuedAhead(db: Db, opts: { modelId: string; createdAt: Date }): Promise<number> {
  const rows = await db.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM jobs WHERE state = 'queued' AND model_id = ${opts.modelId} AND created_at < ${opts.createdAt}`;
  return rows[0]?.n ?? 0;
}

/** The organisation's queued jobs, counted up to `limit` at most (the scan stops there). */
export async function countOrgQueuedJobs(db: Db, opts: { orgId: string; limit: number }): Promise<number> {
  const rows = await db.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM (
      SELECT 1 FROM jobs WHERE org_id = ${opts.orgId}::uuid AND state = 'queued' LIMIT ${opts.limit}
    ) q`;
  return rows[0]?.n ?? 0;
}
