import type { Db } from "../db-types.ts";

export interface LoadTimesToResultOptions {
  /** Region ids the indexer knows; a node's region outside them (`local`) counts as `platformRegion`. */
  regionIds: string[];
  platformRegion: string;
  /** The window ends here (the public feeds' horizon) and starts `windowMs` earlier. */
  horizon: Date;
  windowMs: number;
  /** Only this model's jobs; null: every model. */
  modelId: string | null;
  /** A bound on the rows one read sorts: the most recent finishes are the ones that matter. */
  limit: number;
}

/** Nearest-rank percentiles of finished_at − created_at (queueing included), ms, per model and region. */
export interface TimeToResultRow {
  model_id: string;
  region: string;
  samples: number;
  p50_ms: number;
  p95_ms: number;
}

/**
 * p50 / p95 time to result of the jobs that succeeded in the window, per (model, region of
 * the worker that ran them), every purpose alike. Jobs created more than a day before they
 * finished are left out: that bound lets the (state, created_at) index find the rows, and
 * such a job waited for a worker that did not exist rather than measuring one that does.
 */
export async function loadTimesToResult(db: Db, opts: LoadTimesToResultOptions): Promise<TimeToResultRow[]> {
  const { horizon, modelId } = opts;
  return db.$queryRaw<TimeToResultRow[]>`
    SELECT j.model_id,
           CASE WHEN n.region = ANY(${opts.regionIds}::text[]) THEN n.region ELSE ${opts.platformRegion} END AS region,
           count(*)::int AS samples,
           percentile_disc(0.5) WITHIN GROUP (ORDER BY j.ms) AS p50_ms,
           percentile_disc(0.95) WITHIN GROUP (ORDER BY j.ms) AS p95_ms
    FROM (
      SELECT model_id, node_id, extract(epoch FROM finished_at - created_at)::float8 * 1000 AS ms FROM jobs
      WHERE state = 'succeeded' AND node_id IS NOT NULL
        AND created_at > now() - interval '1 day'
        AND finished_at >= ${horizon}::timestamp - ${opts.windowMs} * interval '1 millisecond'
        AND finished_at < ${horizon}::timestamp
        AND (${modelId}::text IS NULL OR model_id = ${modelId})
      ORDER BY finished_at DESC
      LIMIT ${opts.limit}
    ) j
    JOIN nodes n ON n.id = j.node_id
    GROUP BY 1, 2`;
}
