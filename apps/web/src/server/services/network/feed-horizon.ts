import { countBusyNodesAt, countQueuedJobsAt } from "@proofgrid/db/network/occupancy";
import { sql } from "@proofgrid/db/sql-client";
import { getEnv } from "../../env.ts";

/**
 * The moment the public feeds describe: the end of the latest bucket that closed
 * PUBLIC_FEED_DELAY_MS ago. Free slots and the queue are shown as they were then, not now:
 * the network's busy-ness right now says whether a burst of customer traffic is under way,
 * which a worker polling after each lease could hold against the job it just got (issue 12;
 * measured by `npm run bench:por`: the instant queue and free slots let the feeds alone
 * separate challenges from customer jobs with AUC 0.74).
 */
export function feedHorizon(now = Date.now()): Date {
  const { PUBLIC_FEED_BUCKET_MS: bucketMs, PUBLIC_FEED_DELAY_MS: delayMs } = getEnv();
  return new Date(Math.floor((now - delayMs) / bucketMs) * bucketMs);
}

/** Look-back for jobs still open at the horizon: a job holds a slot for at most a lease chain this long. */
const OPEN_LOOKBACK = "1 hour";

/** Jobs each worker held (assigned or running) at `at`, and the jobs queued then. */
export async function occupancyAt(at: Date): Promise<{ busy: Map<string, number>; queued: number }> {
  const [busy, queued] = await Promise.all([
    countBusyNodesAt(sql(), { at, lookback: OPEN_LOOKBACK }),
    countQueuedJobsAt(sql(), { at, lookback: OPEN_LOOKBACK }),
  ]);
  return { busy: new Map(busy.map((r) => [r.node_id, r.n])), queued };
}
