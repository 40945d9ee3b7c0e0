import { type Job, placeJob, type Worker, WorkerIndex } from "@proofgrid/indexer";
import { describe, expect, it } from "vitest";
import { DecayingCounts } from "./decaying-counts.ts";

// The fairness counts the dispatcher feeds the indexer. `bench:soak` found a worker restarted
// after the coordinator had run for a while (cold: no model loaded yet) idle for 213 s while
// its warm peers took twice their share, because the counts never forgot. Here the real
// placer (@proofgrid/indexer's placeJob) is run on three equal workers at 2 jobs/s.

const MODEL = "encoder-synthetic-minilm";
const STEP_MS = 500;

function worker(id: string, warm: boolean, selections: number): Worker {
  return {
    id,
    orgId: `org-${id}`,
    region: "eu-west",
    lat: 50,
    lon: 5,
    models: [MODEL],
    loadedModels: warm ? [MODEL] : [],
    freeSlots: 1,
    askPerCuBaseUnits: 500_000n,
    reputation: 0.9,
    stake: 10n ** 9n,
    minStakeOk: true,
    quarantined: false,
    selections,
  };
}

/**
 * 2 jobs/s for `warmUpMs` on three warm workers, then w2 restarts cold: how long until it is
 * given a job again (ms), or null within `limitMs`.
 */
function starvedFor(counts: DecayingCounts, warmUpMs: number, limitMs: number): number | null {
  const job: Job = { modelId: MODEL, orgId: "customer", clientRegion: "eu-west" };
  const warm = new Map([
    ["w1", true],
    ["w2", true],
    ["w3", true],
  ]);
  for (let now = 0; now < warmUpMs + limitMs; now += STEP_MS) {
    if (now === warmUpMs) warm.set("w2", false);
    const index = new WorkerIndex();
    for (const [id, isWarm] of warm) index.upsert(worker(id, isWarm, counts.whole(id, now)));
    const id = placeJob(job, index).workerId;
    if (!id) throw new Error("no placement");
    counts.add(id, now);
    if (now >= warmUpMs && id === "w2") return now - warmUpMs;
  }
  return null;
}

describe("decaying fairness counts", () => {
  it("halve every half-life", () => {
    const c = new DecayingCounts(60_000);
    for (let i = 0; i < 8; i++) c.add("a", 0);
    expect(c.get("a", 60_000)).toBeCloseTo(4);
    expect(c.get("a", 180_000)).toBeCloseTo(1);
    expect(c.whole("a", 150_000)).toBe(1);
    expect(c.get("nobody", 0)).toBe(0);
  });

  it("give a restarted, cold worker work again within about a half-life, where counts since start-up starved it", () => {
    // Counts that never forget (the old behaviour): after 10 minutes of traffic, still idle 4 minutes on.
    expect(starvedFor(new DecayingCounts(Number.POSITIVE_INFINITY), 600_000, 240_000)).toBeNull();
    const idle = starvedFor(new DecayingCounts(60_000), 600_000, 240_000);
    expect(idle, `idle ${idle} ms`).not.toBeNull();
    expect(idle).toBeLessThanOrEqual(90_000);
  });
});
