import { loadTimesToResult } from "@proofgrid/db/market/times-to-result";
import { sql } from "@proofgrid/db/sql-client";
import { feedHorizon } from "../network/feed-horizon.ts";
import { MARKET_WINDOW_MS, platformRegion, REGION_IDS } from "./live-network.ts";

export interface TimeToResult {
  /** Nearest-rank percentiles of finished_at − created_at (queueing included), ms. */
  p50Ms: number | null;
  p95Ms: number | null;
  samples: number;
}

/** A bound on the rows one read sorts: the most recent finishes are the ones that matter. */
const MAX_SAMPLES = 50_000;

export const timeKey = (modelId: string, region: string) => `${modelId}|${region}`;

/**
 * p50 / p95 time to result of the jobs that succeeded in the hour before the public feeds'
 * horizon, per (model, region of the worker that ran them). Every purpose counts alike, and
 * the window's ends are bucket edges (feed-horizon.ts), so the counts move only once a bucket:
 * the public market shows these. A count of customer jobs alone, up to now, moved for a
 * worker's customer job and not for its challenge; a window sliding by the millisecond two
 * minutes late still told a worker polling after each lease how busy the network had been
 * between its polls (bench:por, `f_delta_marketSamples`, AUC 0.59; issue 12). Jobs created more than a day before they finished
 * are left out: that bound lets the (state, created_at) index find the rows, and such a job
 * waited for a worker that did not exist rather than measuring one that does.
 */
export async function timesToResult(opts: { modelId?: string } = {}): Promise<Map<string, TimeToResult>> {
  const horizon = feedHorizon();
  const rows = await loadTimesToResult(sql(), {
    regionIds: REGION_IDS,
    platformRegion: platformRegion(),
    horizon,
    windowMs: MARKET_WINDOW_MS,
    modelId: opts.modelId ?? null,
    limit: MAX_SAMPLES,
  });
  return new Map(
    rows.map((r) => [
      timeKey(r.model_id, r.region),
      { p50Ms: Math.round(Number(r.p50_ms)), p95Ms: Math.round(Number(r.p95_ms)), samples: r.samples },
    ]),
  );
}

export const NO_SAMPLES: TimeToResult = Object.freeze({ p50Ms: null, p95Ms: null, samples: 0 });
