import { REGIONS } from "@proofgrid/indexer";
import { feedHorizon, occupancyAt } from "../network/feed-horizon.ts";
import { liveNetwork, platformRegion } from "./live-network.ts";

export interface RegionView {
  id: string;
  name: string;
  lat: number;
  lon: number;
  workersOnline: number;
  freeSlots: number;
}

/**
 * Public: every region the indexer knows with its online workers and free slots. A worker
 * counts under its declared region; one registered as `local` (on the platform's own
 * machine) under the platform's region. Quarantined workers are not online here. Free
 * slots are as they were at the public feeds' horizon (feed-horizon.ts), not now.
 */
export async function listRegions(): Promise<{ platformRegion: string; regions: RegionView[] }> {
  const [workers, then] = await Promise.all([liveNetwork(), occupancyAt(feedHorizon())]);
  const by = new Map<string, { workersOnline: number; freeSlots: number }>();
  for (const w of workers) {
    if (w.quarantined) continue;
    const r = by.get(w.region) ?? { workersOnline: 0, freeSlots: 0 };
    r.workersOnline++;
    r.freeSlots += Math.max(0, w.maxConcurrency - (then.busy.get(w.id) ?? 0));
    by.set(w.region, r);
  }
  return {
    platformRegion: platformRegion(),
    regions: REGIONS.map((r) => ({
      id: r.id,
      name: r.name,
      lat: r.lat,
      lon: r.lon,
      ...(by.get(r.id) ?? { workersOnline: 0, freeSlots: 0 }),
    })),
  };
}
