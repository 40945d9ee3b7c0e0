import { countRecentSelections } from "@proofgrid/db/market/recent-market-jobs";
import { sql } from "@proofgrid/db/sql-client";
import { REGIONS } from "@proofgrid/indexer";
import { loadNetwork, type NetworkWorker, regionLocation } from "../dispatch/network.ts";

/** The market's look-back: demand, prices won, times to result, selections. */
export const MARKET_WINDOW_MS = 3_600_000;

/**
 * Every job state: `state = ANY(...)` with a `created_at` range lets the (state, created_at)
 * index serve "jobs of the last hour" (jobs has no index on created_at alone).
 */
export const ALL_JOB_STATES = ["queued", "assigned", "running", "succeeded", "failed", "canceled", "expired"];

/** Region ids the indexer knows; a node's region outside it (`local`) counts as the platform's. */
export const REGION_IDS = REGIONS.map((r) => r.id);

export function platformRegion(): string {
  return regionLocation(null).region;
}

// The public views read the whole network; a one-second cache keeps a burst of anonymous
// requests to one read per second per web process. The market service's own writes (an
// ask change) drop it, so a provider sees its change at once on the replica it called.
const CACHE_MS = 1_000;
let cached: { at: number; workers: Promise<readonly NetworkWorker[]> } | undefined;

/**
 * The workers the dispatcher would see now (dispatch/network.ts loadNetwork: online, and
 * recently heard-from quarantined ones), with `selections` estimated from the jobs assigned
 * to each in the last hour. The dispatcher's own counts live in the coordinator's memory;
 * the last hour's assignments are the same signal, seen from the database. Callers must not
 * mutate the returned workers (they are shared for a second).
 */
export function liveNetwork(): Promise<readonly NetworkWorker[]> {
  const now = Date.now();
  if (cached && now - cached.at < CACHE_MS) return cached.workers;
  const workers = load();
  cached = { at: now, workers };
  // A failed read is not cached.
  workers.catch(() => {
    if (cached?.workers === workers) cached = undefined;
  });
  return workers;
}

export function invalidateLiveNetwork(): void {
  cached = undefined;
}

async function load(): Promise<readonly NetworkWorker[]> {
  const [workers, selections] = await Promise.all([loadNetwork(sql()), recentSelections()]);
  for (const w of workers) w.selections = selections.get(w.id) ?? 0;
  return workers;
}

async function recentSelections(): Promise<Map<string, number>> {
  const rows = await countRecentSelections(sql(), { jobStates: ALL_JOB_STATES, windowMs: MARKET_WINDOW_MS });
  return new Map(rows.map((r) => [r.node_id, r.n]));
}

/** Mean selections over the workers serving a model: the fairness term's fair share. */
export function meanSelections(workers: readonly NetworkWorker[], modelId: string): number {
  let n = 0;
  let sum = 0;
  for (const w of workers) {
    if (!w.models.includes(modelId)) continue;
    n++;
    sum += w.selections;
  }
  return n > 0 ? sum / n : 0;
}
