import { countFinishedJobs } from "@proofgrid/db/network/finished-jobs";
import { sql } from "@proofgrid/db/sql-client";
import { liveNetwork } from "../market/live-network.ts";
import { listRegions, type RegionView } from "../market/regions.ts";
import { getEnv } from "../../env.ts";
import { feedHorizon, occupancyAt } from "./feed-horizon.ts";
import { listRecentActivity, type RecentActivity } from "./list-recent-jobs.ts";

/** Jobs per minute is averaged over this window: one minute alone jumps with every burst. */
const RATE_WINDOW_MINUTES = 5;
const RECENT_JOBS_SHOWN = 12;

export interface LiveNetwork {
  at: string;
  nodesOnline: number;
  /** Capacity of the online workers, and the share of it in free slots now. */
  cuPerHourOnline: number;
  cuPerHourAvailable: number;
  jobsPerMinute: number;
  jobsQueued: number;
  platformRegion: string;
  regions: RegionView[];
  /** Jobs per bucket, model and region, delayed (list-recent-jobs.ts). */
  recentActivity: RecentActivity[];
  /** How far behind the activity and the job rate are, ms. */
  delayMs: number;
}

/**
 * Public, anonymised numbers for the explorer, polled every few seconds by every open
 * page: the worker list comes from liveNetwork's one-second cache, so the cost per poll is
 * two small queries, whatever the number of viewers.
 */
export async function getLiveNetwork(): Promise<LiveNetwork> {
  const { PUBLIC_FEED_DELAY_MS: delayMs } = getEnv();
  // The job rate is counted like the activity: every purpose alike, up to a bucket that
  // closed `delay` ago, so a poll right after a lease shows nothing of that lease.
  const horizon = feedHorizon();
  const [workers, regions, finished, recent, then] = await Promise.all([
    liveNetwork(),
    listRegions(),
    countFinishedJobs(sql(), { horizon, windowMinutes: RATE_WINDOW_MINUTES }),
    listRecentActivity({ limit: RECENT_JOBS_SHOWN }),
    // Free capacity and the queue as they were at the horizon too: the network's busy-ness
    // now would say whether a burst of customer traffic is under way (feed-horizon.ts).
    occupancyAt(horizon),
  ]);
  let nodesOnline = 0;
  let cuPerHourOnline = 0;
  let cuPerHourAvailable = 0;
  for (const w of workers) {
    if (w.quarantined) continue;
    nodesOnline++;
    cuPerHourOnline += w.cuPerHour;
    const free = Math.max(0, w.maxConcurrency - (then.busy.get(w.id) ?? 0));
    cuPerHourAvailable += Math.round((w.cuPerHour * free) / Math.max(1, w.maxConcurrency));
  }
  return {
    at: new Date().toISOString(),
    nodesOnline,
    cuPerHourOnline,
    cuPerHourAvailable,
    jobsPerMinute: Math.round((finished / RATE_WINDOW_MINUTES) * 10) / 10,
    jobsQueued: then.queued,
    platformRegion: regions.platformRegion,
    regions: regions.regions,
    recentActivity: recent.activity,
    delayMs,
  };
}
