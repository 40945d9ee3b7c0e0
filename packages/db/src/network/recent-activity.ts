import type { Db } from "../db-types.ts";

/** Jobs finished in one bucket, of one model, on workers of one region (null: a job with no node). */
export interface RecentActivityRow {
  /** Start of the bucket. */
  bucket: Date;
  /** The model's slug; `private` for every uploaded model no organisation lists publicly. */
  model: string;
  region: string | null;
  jobs: number;
  succeeded: number;
  /** Median started-to-finished time, ms. */
  median_ms: number | null;
}

export interface LoadRecentActivityOptions {
  /** Bucket length, ms: buckets are aligned to the epoch. */
  bucketMs: number;
  /** Jobs that finished in [from, to). */
  from: Date;
  to: Date;
  limit: number;
}

/**
 * Jobs that finished (succeeded or failed) per bucket, model and region, newest bucket first.
 * No id leaves it, and no private uploaded model's slug (its hash's prefix): their jobs count
 * together as `private`.
 */
export async function loadRecentActivity(db: Db, opts: LoadRecentActivityOptions): Promise<RecentActivityRow[]> {
  const { bucketMs } = opts;
  return db.$queryRaw<RecentActivityRow[]>`
    SELECT to_timestamp(floor(extract(epoch FROM j.finished_at) * 1000 / ${bucketMs}) * ${bucketMs} / 1000.0) AS bucket,
           CASE WHEN m.built_in OR EXISTS (SELECT 1 FROM custom_models cm WHERE cm.model_id = m.id AND cm.visibility = 'public')
                THEN m.slug ELSE 'private' END AS model, n.region, count(*)::int AS jobs, count(*) FILTER (WHERE j.state = 'succeeded')::int AS succeeded,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM (j.finished_at - j.started_at)) * 1000)::float8 AS median_ms
    FROM jobs j JOIN models m ON m.id = j.model_id LEFT JOIN nodes n ON n.id = j.node_id
    WHERE j.state IN ('succeeded', 'failed') AND j.finished_at >= ${opts.from} AND j.finished_at < ${opts.to}
    GROUP BY 1, 2, 3
    ORDER BY 1 DESC, 2, 3
    LIMIT ${opts.limit}`;
}
