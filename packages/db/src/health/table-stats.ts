import type { Db } from "../db-types.ts";

// Sizes from Postgres's own statistics, which autovacuum's ANALYZE keeps fresh: no scan of
// the tables themselves, whatever their history.

/** pg_class.reltuples of jobs, nodes and checks: the catalog's row estimate (-1: never analysed). */
export async function loadTableRowEstimates(db: Db): Promise<{ relname: string; reltuples: number }[]> {
  return db.$queryRaw<{ relname: string; reltuples: number }[]>`
    SELECT relname, reltuples::float8 AS reltuples FROM pg_class
    WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace AND relname IN ('jobs', 'nodes', 'checks')`;
}

/** The most common values of jobs.state and nodes.status, with the share of rows each holds (pg_stats). */
export interface StateFrequencyRow {
  tablename: string;
  vals: string[] | null;
  freqs: number[] | null;
}

export async function loadStateFrequencies(db: Db): Promise<StateFrequencyRow[]> {
  return db.$queryRaw<StateFrequencyRow[]>`
    SELECT tablename, most_common_vals::text::text[] AS vals, most_common_freqs::float8[] AS freqs FROM pg_stats
    WHERE schemaname = 'public' AND ((tablename = 'jobs' AND attname = 'state') OR (tablename = 'nodes' AND attname = 'status'))`;
}

/** Nodes by status, counted exactly (a full scan: only for a small table). */
export async function countNodesByStatus(db: Db): Promise<{ v: string; n: number }[]> {
  return db.$queryRaw<{ v: string; n: number }[]>`SELECT status::text AS v, count(*)::int AS n FROM nodes GROUP BY 1`;
}

/** Jobs by state, counted exactly (a full scan: only for a small table). */
export async function countJobsByState(db: Db): Promise<{ v: string; n: number }[]> {
  return db.$queryRaw<{ v: string; n: number }[]>`SELECT state::text AS v, count(*)::int AS n FROM jobs GROUP BY 1`;
}
