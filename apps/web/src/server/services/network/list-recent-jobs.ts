import { loadRecentActivity } from "@proofgrid/db/network/recent-activity";
import { sql } from "@proofgrid/db/sql-client";
import { getEnv } from "../../env.ts";
import { regionLocation } from "../dispatch/network.ts";

/** The explorer shows at most this many rows; the route accepts no more. */
export const RECENT_JOBS_MAX = 50;
/** Look-back: an hour of buckets. */
const RECENT_WINDOW_MS = 3_600_000;

export interface RecentActivity {
  /** Start of the bucket (PUBLIC_FEED_BUCKET_MS long), ISO. */
  bucket: string;
  model: string;
  /** Region of the workers that ran them (`local` resolves to the platform's region). */
  region: string;
  /** Jobs that finished in the bucket, every purpose alike (customer jobs, re-runs and the
   * protocol's challenges: a challenge is a job of the network like any other). */
  jobs: number;
  succeeded: number;
  /** Median started-to-finished time of the bucket's jobs, ms. */
  medianDurationMs: number | null;
}

/**
 * Public and anonymised activity: jobs finished per bucket, model and region, shown only
 * once the bucket closed PUBLIC_FEED_DELAY_MS ago. Listing single running jobs with a
 * millisecond `createdAt` and without challenges let a worker poll this after each lease
 * and tell its challenges from customer jobs (issue 12: 6 of 6 customer jobs and 1 of 1
 * challenge classified). Aggregated, delayed and counting challenges the same way, a row
 * says how busy a model was in a region minutes ago and nothing about the job a worker
 * holds now. No job, organisation or worker id leaves this function.
 */
export async function listRecentActivity(opts: {
  limit: number;
  now?: Date;
}): Promise<{ bucketMs: number; delayMs: number; activity: RecentActivity[] }> {
  const limit = Math.min(Math.max(1, Math.trunc(opts.limit)), RECENT_JOBS_MAX);
  const { PUBLIC_FEED_BUCKET_MS: bucketMs, PUBLIC_FEED_DELAY_MS: delayMs } = getEnv();
  const now = opts.now ?? new Date();
  // Buckets are aligned to the epoch; the newest shown is the latest one that closed `delay` ago.
  const horizon = new Date(Math.floor((now.getTime() - delayMs) / bucketMs) * bucketMs);
  const rows = await loadRecentActivity(sql(), { bucketMs, from: new Date(horizon.getTime() - RECENT_WINDOW_MS), to: horizon, limit });
  // Rows of regions that resolve to the same place (`local` and the platform's) are merged.
  const merged = new Map<string, RecentActivity>();
  for (const r of rows) {
    const region = regionLocation(r.region).region;
    const key = `${r.bucket.toISOString()}|${r.model}|${region}`;
    const m = merged.get(key);
    const median = r.median_ms === null ? null : Math.round(r.median_ms);
    if (m) {
      m.medianDurationMs = m.jobs >= r.jobs ? m.medianDurationMs : median;
      m.jobs += r.jobs;
      m.succeeded += r.succeeded;
    } else
      merged.set(key, {
        bucket: r.bucket.toISOString(),
        model: r.model,
        region,
        jobs: r.jobs,
        succeeded: r.succeeded,
        medianDurationMs: median,
      });
  }
  return { bucketMs, delayMs, activity: [...merged.values()] };
}
