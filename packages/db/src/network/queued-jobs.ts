import type { Db } from "../db-types.ts";

/** A queued job as the fair scheduler reads it, with its organisation's region. */
export interface QueuedJobRow {
  id: string;
  org_id: string;
  model_id: string;
  cost_milli_cu: number;
  client_region: string | null;
  org_region: string | null;
  /** The customer's cap, base units per CU (int8); null: the list price. */
  max_price_per_cu: bigint | string | null;
  pinned_node_id: string | null;
  /** Workers that let an offer of it lapse (placement.declined). */
  declined: string[] | null;
  created_at: Date;
  /** On a customer's uploaded model (slug `custom-…`, issue 17): only workers that accept those run it. */
  custom: boolean;
  /** Its organisation's fair-share weight and own concurrency limit (null: the default). */
  share_weight: number;
  max_concurrent_jobs: number | null;
  /** Its organisation's jobs assigned or running now (counted once per organisation). */
  org_open: number;
}

/**
 * Per organisation, its oldest `perOrg` queued jobs that have attempts left, all oldest first,
 * each with its organisation's share (weight, limit, open jobs): one statement, so the fair
 * scheduler's two inputs come from one snapshot and one round trip.
 */
export async function loadQueuedJobs(db: Db, opts: { perOrg: number }): Promise<QueuedJobRow[]> {
  return db.$queryRaw<QueuedJobRow[]>`
    SELECT q.id, q.org_id, q.model_id, q.cost_milli_cu, q.client_region, o.region AS org_region, q.max_price_per_cu,
           q.pinned_node_id, q.declined, q.created_at, m.slug LIKE 'custom-%' AS custom,
           o.share_weight, o.max_concurrent_jobs, oo.open AS org_open
    FROM (SELECT DISTINCT org_id FROM jobs WHERE state = 'queued') d
    CROSS JOIN LATERAL (
      SELECT count(*)::int AS open FROM jobs j WHERE j.org_id = d.org_id AND j.state IN ('assigned', 'running')
    ) oo
    CROSS JOIN LATERAL (
      SELECT j.id, j.org_id, j.model_id, j.cost_milli_cu, j.client_region, j.max_price_per_cu, j.pinned_node_id, j.created_at,
             ARRAY(SELECT jsonb_array_elements_text(coalesce(j.placement -> 'declined', '[]'::jsonb))) AS declined
      FROM jobs j
      WHERE j.state = 'queued' AND j.org_id = d.org_id AND j.attempt < j.max_attempts
      ORDER BY j.created_at
      LIMIT ${opts.perOrg}
    ) q
    JOIN organizations o ON o.id = q.org_id
    JOIN models m ON m.id = q.model_id
    ORDER BY q.created_at`;
}
