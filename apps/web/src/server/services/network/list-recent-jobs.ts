import { sql } from "@proofgrid/db/sql-client";
import { regionLocation } from "../dispatch/network.ts";
import { ALL_JOB_STATES } from "../market/live-network.ts";

/** The explorer shows at most this many; the route accepts no more. */
export const RECENT_JOBS_MAX = 50;
/** Look-back: `state = ANY(...)` with a created_at range lets the (state, created_at) index serve it. */
const RECENT_WINDOW_MS = 3_600_000;

export interface RecentJob {
  model: string;
  /** Region of the worker that ran it (`local` resolves to the platform's region); null while queued. */
  region: string | null;
  state: string;
  createdAt: string;
  /** Started to finished; null while not finished. */
  durationMs: number | null;
}

/**
 * Public and anonymised: the latest customer jobs of the last hour with their model, the
 * region that ran them, their state and how long they ran. No job, organisation or worker
 * id leaves this function, and challenge jobs (which would reveal the checks) are left out (re-runs stay).
 */
export async function listRecentJobs(opts: { limit: number }): Promise<RecentJob[]> {
  const limit = Math.min(Math.max(1, Math.trunc(opts.limit)), RECENT_JOBS_MAX);
  const rows = await sql().$queryRaw<
    { model: string; region: string | null; state: string; created_at: Date; duration_ms: number | null }[]
  >`
    SELECT m.slug AS model, n.region, j.state::text AS state, j.created_at,
           (extract(epoch FROM (j.finished_at - j.started_at)) * 1000)::int AS duration_ms
    FROM jobs j
    JOIN models m ON m.id = j.model_id
    LEFT JOIN nodes n ON n.id = j.node_id
    WHERE j.state = ANY(${ALL_JOB_STATES}::"JobState"[]) AND j.created_at > now() - ${RECENT_WINDOW_MS} * interval '1 millisecond'
      AND j.purpose <> 'challenge'
    ORDER BY j.created_at DESC
    LIMIT ${limit}`;
  return rows.map((r) => ({
    model: r.model,
    region: r.region === null ? null : regionLocation(r.region).region,
    state: r.state,
    createdAt: r.created_at.toISOString(),
    durationMs: r.duration_ms,
  }));
}
