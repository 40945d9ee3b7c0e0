import type { Db } from "../db-types.ts";

// The market's look-back over the last jobs. Every query names all job states with
// `state = ANY(...)` next to its `created_at` range: that lets the (state, created_at) index
// serve "jobs of the last hour" (jobs has no index on created_at alone). The caller passes
// the states (market/live-network.ts ALL_JOB_STATES) and the window.

export interface RecentJobsWindow {
  /** Every job state (see above). */
  jobStates: readonly string[];
  /** The look-back, ms. */
  windowMs: number;
}

/** Jobs each worker was chosen for by the indexer in the window; workers with none are absent. */
export async function countRecentSelections(db: Db, opts: RecentJobsWindow): Promise<{ node_id: string; n: number }[]> {
  return db.$queryRaw<{ node_id: string; n: number }[]>`
    SELECT node_id, count(*)::int AS n FROM jobs
    WHERE state = ANY(${opts.jobStates}::"JobState"[]) AND created_at > now() - ${opts.windowMs} * interval '1 millisecond'
      AND node_id IS NOT NULL AND placement ->> 'via' = 'indexer'
    GROUP BY node_id`;
}

/** A recent job as it is put to a worker again through the indexer's filters (diagnostics). */
export interface RecentModelJobRow {
  cost_milli_cu: number;
  org_id: string;
  model_id: string;
  client_region: string | null;
  org_region: string | null;
  /** The customer's cap (int8); null: the list price. */
  max_price_per_cu: string | null;
  /** The stored placement (dispatcher.ts Placement): JSON. */
  placement: unknown;
}

export interface LoadRecentModelJobsOptions extends RecentJobsWindow {
  /** Only jobs created before this (the public feeds' horizon). */
  horizon: Date;
  modelIds: string[];
  limit: number;
}

/** The window's most recent customer jobs (challenges aside) of these models, newest first. */
export async function loadRecentModelJobs(db: Db, opts: LoadRecentModelJobsOptions): Promise<RecentModelJobRow[]> {
  const { jobStates, windowMs, horizon } = opts;
  return db.$queryRaw<RecentModelJobRow[]>`
      SELECT j.org_id, j.model_id, j.client_region, o.region AS org_region, j.max_price_per_cu, j.placement, j.cost_milli_cu
      FROM jobs j JOIN organizations o ON o.id = j.org_id
      WHERE j.state = ANY(${jobStates}::"JobState"[]) AND j.created_at > now() - ${windowMs} * interval '1 millisecond'
        AND j.created_at < ${horizon} AND j.purpose <> 'challenge' AND j.model_id = ANY(${opts.modelIds}::text[])
      ORDER BY j.created_at DESC
      LIMIT ${opts.limit}`;
}

export interface CountNodePlacementsOptions extends RecentJobsWindow {
  nodeId: string;
  /** Only jobs assigned (chosen) or created (runner-up) before this. */
  horizon: Date;
  /** The node's models. */
  modelIds: string[];
}

/**
 * Jobs placed on the node in the window (`chosen`: every job it was given, challenge or
 * not) and jobs of its models whose stored placement names it as the runner-up.
 */
export async function countNodePlacements(db: Db, opts: CountNodePlacementsOptions): Promise<{ chosen: number; runner_up: number } | null> {
  const { jobStates, windowMs, horizon } = opts;
  const rows = await db.$queryRaw<{ chosen: number; runner_up: number }[]>`
      SELECT (SELECT count(*) FROM jobs WHERE node_id = ${opts.nodeId}::uuid
                AND assigned_at > now() - ${windowMs} * interval '1 millisecond' AND assigned_at < ${horizon})::int AS chosen,
             (SELECT count(*) FROM jobs WHERE state = ANY(${jobStates}::"JobState"[])
                AND created_at > now() - ${windowMs} * interval '1 millisecond' AND created_at < ${horizon}
                AND model_id = ANY(${opts.modelIds}::text[])
                AND placement -> 'explanation' -> 'runnerUp' ->> 'workerId' = ${opts.nodeId})::int AS runner_up`;
  return rows[0] ?? null;
}

export interface LoadWinningPricesOptions extends RecentJobsWindow {
  /** The node asking: its own wins are left out. */
  nodeId: string;
  modelIds: string[];
  limit: number;
}

/** The asks (unit prices, int8 as decimal strings) that won the window's indexer-placed jobs of these models, newest first. */
export async function loadWinningPrices(db: Db, opts: LoadWinningPricesOptions): Promise<{ unit_price: string }[]> {
  const { jobStates, windowMs } = opts;
  return db.$queryRaw<{ unit_price: string }[]>`
      SELECT unit_price FROM jobs
      WHERE state = ANY(${jobStates}::"JobState"[]) AND created_at > now() - ${windowMs} * interval '1 millisecond'
        AND model_id = ANY(${opts.modelIds}::text[]) AND unit_price IS NOT NULL AND placement ->> 'via' = 'indexer'
        AND node_id IS DISTINCT FROM ${opts.nodeId}::uuid
      ORDER BY created_at DESC
      LIMIT ${opts.limit}`;
}

export interface LoadModelDemandOptions extends RecentJobsWindow {
  /** Only jobs created before this (the public feeds' horizon). */
  horizon: Date;
  /** The asking provider: its own jobs are left out. */
  orgId: string;
  /** At most this many of the most recent jobs are counted. */
  limit: number;
}

export interface ModelDemandRow {
  model_id: string;
  /** Null when the catalog has since dropped the model. */
  slug: string | null;
  jobs: number;
}

/** Jobs per model among the window's customer jobs of other organisations, most first. */
export async function loadModelDemand(db: Db, opts: LoadModelDemandOptions): Promise<ModelDemandRow[]> {
  const { jobStates, windowMs, horizon } = opts;
  return db.$queryRaw<ModelDemandRow[]>`
      SELECT d.model_id, m.slug, count(*)::int AS jobs FROM (
        SELECT model_id FROM jobs
        WHERE state = ANY(${jobStates}::"JobState"[]) AND created_at > now() - ${windowMs} * interval '1 millisecond'
          AND created_at < ${horizon} AND purpose <> 'challenge' AND org_id <> ${opts.orgId}::uuid
        ORDER BY created_at DESC
        LIMIT ${opts.limit}
      ) d JOIN models m ON m.id = d.model_id
      -- Another organisation's private uploaded model is never named to a provider (issue 17).
      WHERE m.built_in OR EXISTS (SELECT 1 FROM custom_models cm WHERE cm.model_id = m.id AND cm.visibility = 'public')
      GROUP BY d.model_id, m.slug ORDER BY jobs DESC`;
}
