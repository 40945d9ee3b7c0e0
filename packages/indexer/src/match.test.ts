import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { getRegionOrThrow, haversineKm, REGIONS } from "./geo.ts";
import { linearScan, placeJob } from "./match.ts";
import { clientLocation, expectedRttMs, type Job, linkPenaltyMs, resolveOptions, TERM_NAMES, type Worker } from "./scoring.ts";
import { healthyWorker, job, network } from "./test-networks.ts";
import { WorkerIndex } from "./worker-index.ts";

const indexOf = (workers: readonly Worker[]) => {
  const index = new WorkerIndex();
  for (const w of workers) index.upsert(w);
  return index;
};

const at = (id: string, regionId: string, extra: Partial<Worker> = {}) => {
  const r = getRegionOrThrow(regionId);
  return healthyWorker(id, r.lat, r.lon, extra);
};

/** Every hard constraint, written out again rather than reusing the implementation's filters. */
function violations(j: Job, w: Worker, minReputation = 0): string[] {
  const out: string[] = [];
  if (!w.models.includes(j.modelId)) out.push("model");
  if (w.freeSlots <= 0) out.push("slots");
  if (w.quarantined) out.push("quarantined");
  if (!w.minStakeOk) out.push("stake");
  if (w.reputation < minReputation) out.push("reputation");
  if (j.maxPerCuBaseUnits !== undefined && w.askPerCuBaseUnits > j.maxPerCuBaseUnits) out.push("price");
  if (j.maxLatencyMs !== undefined && expectedRttMs(clientLocation(j), w) > j.maxLatencyMs) out.push("latency");
  if (w.orgId === j.orgId) out.push("sameOrg");
  return out;
}

const ocrJob = (from: string, extra: Partial<Job> = {}): Job =>
  ({ clientRegion: from, modelId: "m-ocr", orgId: "client", ...extra }) as Job;

describe("placeJob: the seed's examples", () => {
  const workers = [
    at("montreal", "ca-montreal"),
    at("frankfurt", "eu-central"),
    at("hangzhou", "cn-hangzhou"),
    at("singapore", "ap-singapore"),
  ];

  it("sends a job from Montreal to the Montreal worker", () => {
    expect(placeJob(ocrJob("ca-montreal"), indexOf(workers)).workerId).toBe("montreal");
  });

  it("sends a job from Tieling, where no worker is, to Hangzhou", () => {
    const d = placeJob(ocrJob("cn-tieling"), indexOf(workers));
    expect(d.workerId).toBe("hangzhou");
    expect(d.explanation.runnerUp).toBeNull(); // Singapore is outside the latency window
  });

  it("does not let a cheaper, better-reputed worker across the Atlantic win over a nearby one", () => {
    const index = indexOf([
      at("montreal", "ca-montreal", { reputation: 0.5, askPerCuBaseUnits: 900_000n }),
      at("frankfurt", "eu-central", { reputation: 1, askPerCuBaseUnits: 1n }),
    ]);
    expect(placeJob(ocrJob("ca-montreal"), index).workerId).toBe("montreal");
  });

  it("explains why no worker was found, filter by filter", () => {
    const index = indexOf([
      at("busy", "ca-montreal", { freeSlots: 0 }),
      at("jailed", "ca-montreal", { quarantined: true }),
      at("pricey", "ca-montreal", { askPerCuBaseUnits: 2_000_000n }),
      at("far", "ap-sydney"),
      at("other-model", "ca-montreal", { models: ["m-vad"] }),
    ]);
    const d = placeJob(ocrJob("ca-montreal", { maxPerCuBaseUnits: 1_000_000n, maxLatencyMs: 50 }), index);
    expect(d.workerId).toBeNull();
    expect(d.reason?.eliminated).toEqual({ model: 1, quarantined: 1, stake: 0, slots: 1, latency: 1, price: 1, reputation: 0, sameOrg: 0 });
    expect(d.reason?.message).toContain("1 ask more than the price cap");
  });

  it("never places a job on a worker of the client's own org", () => {
    const index = indexOf([at("own", "ca-montreal", { orgId: "client" }), at("other", "ca-toronto")]);
    expect(placeJob(ocrJob("ca-montreal"), index).workerId).toBe("other");
  });

  it("prefers a warm worker among equals", () => {
    const index = indexOf([at("cold", "eu-central", { loadedModels: [] }), at("warm", "eu-central", { id: "warm" })]);
    expect(placeJob(ocrJob("eu-central"), index).workerId).toBe("warm");
  });

  it("rejects a job without a valid location with a clear error", () => {
    expect(() => placeJob(ocrJob("atlantis"), indexOf(workers))).toThrow(/unknown region "atlantis"/);
  });
});

describe("placeJob: properties over random networks", () => {
  const opts = fc.record({
    k: fc.integer({ min: 1, max: 8 }),
    minReputation: fc.double({ min: 0, max: 0.6, noNaN: true }),
  });

  it("never chooses a worker that violates a hard constraint (index and linear scan)", () => {
    fc.assert(
      fc.property(network(60), job, opts, (workers, j, o) => {
        for (const d of [placeJob(j, indexOf(workers), o), linearScan(j, workers, o)]) {
          if (d.workerId === null) continue;
          const chosen = workers.find((w) => w.id === d.workerId);
          expect(chosen).toBeDefined();
          expect(violations(j, chosen as Worker, o.minReputation)).toEqual([]);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("finds a worker whenever the linear scan does, close to the nearest feasible one", () => {
    fc.assert(
      fc.property(network(60), job, opts, (workers, j, o) => {
        const fromIndex = placeJob(j, indexOf(workers), o);
        const linear = linearScan(j, workers, o);
        expect(fromIndex.workerId === null).toBe(linear.workerId === null);
        if (linear.workerId === null) {
          expect(fromIndex.reason?.eliminated).toEqual(linear.reason?.eliminated);
          return;
        }
        // The guarantee: the index's best candidate is at most one bucket diameter (plus the
        // largest link penalty) behind the nearest feasible worker, and the choice lies in
        // that candidate's latency window. With no spread inside buckets it is the window itself.
        const r = resolveOptions(o);
        const client = clientLocation(j);
        const nearest = Math.min(
          ...workers.filter((w) => violations(j, w, o.minReputation).length === 0).map((w) => expectedRttMs(client, w)),
        );
        const radiusKm = Math.max(...workers.map((w) => Math.min(...REGIONS.map((c) => haversineKm(w, c)))));
        const spreadMs = (2 * radiusKm * 3) / 199.86 + Math.max(...workers.map(linkPenaltyMs));
        const bound = (nearest + spreadMs) * (1 + r.latencySlackRatio) + r.latencySlackMs;
        expect(fromIndex.expectedRttMs).toBeLessThanOrEqual(bound + 1e-9);
        expect(linear.expectedRttMs).toBeLessThanOrEqual(nearest * (1 + r.latencySlackRatio) + r.latencySlackMs + 1e-9);
      }),
      { numRuns: 300 },
    );
  });

  it("decides exactly like the linear scan when k covers the whole network", () => {
    fc.assert(
      fc.property(network(40), job, (workers, j) => {
        const fromIndex = placeJob(j, indexOf(workers), { k: 64 });
        const linear = linearScan(j, workers, { k: 64 });
        expect({ ...fromIndex, scanned: 0 }).toEqual({ ...linear, scanned: 0 });
      }),
      { numRuns: 300 },
    );
  });

  it("explains every decision: terms add up to the score, and the winner outscores the runner-up", () => {
    fc.assert(
      fc.property(network(60), job, (workers, j) => {
        for (const d of [placeJob(j, indexOf(workers)), linearScan(j, workers)]) {
          const { winner, runnerUp } = d.explanation;
          if (!winner) continue;
          for (const e of [winner, runnerUp]) {
            if (!e) continue;
            let sum = 0;
            for (const name of TERM_NAMES) {
              const t = e.terms[name];
              expect(t.contribution).toBe(t.value * t.weight);
              expect(t.value).toBeGreaterThanOrEqual(0);
              expect(t.value).toBeLessThanOrEqual(1);
              sum += t.contribution;
            }
            expect(sum).toBe(e.score);
          }
          expect(winner.score).toBe(d.score);
          if (runnerUp) expect(runnerUp.score).toBeLessThanOrEqual(winner.score);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("is deterministic: the same inputs in any insertion order give the same decision", () => {
    fc.assert(
      fc.property(network(40), job, (workers, j) => {
        const a = placeJob(j, indexOf(workers), { k: 64 });
        const b = placeJob(j, indexOf([...workers].reverse()), { k: 64 });
        expect(b).toEqual(a);
      }),
      { numRuns: 200 },
    );
  });
});

describe("placeJob: fairness", () => {
  /** 24 equally good workers scattered within ~20 km of Frankfurt, 4 800 jobs from Frankfurt. */
  function loads(place: (index: WorkerIndex, j: Job) => string | null): number[] {
    const frankfurt = getRegionOrThrow("eu-central");
    const index = new WorkerIndex();
    for (let i = 0; i < 24; i++) {
      const angle = (i * 2 * Math.PI) / 24;
      index.upsert(
        healthyWorker(`w${i}`, frankfurt.lat + 0.15 * Math.sin(angle) * (i % 3), frankfurt.lon + 0.2 * Math.cos(angle) * (i % 3)),
      );
    }
    for (let n = 0; n < 4_800; n++) {
      const id = place(index, ocrJob("eu-central"));
      if (!id) throw new Error("no worker");
      index.assign(id);
      index.release(id);
    }
    return [...index.workers()].map((w) => w.selections);
  }
  const maxOverMean = (xs: number[]) => Math.max(...xs) / (xs.reduce((a, b) => a + b, 0) / xs.length);

  it("spreads jobs among equally good workers: max/mean load ≤ 1.12 (index)", () => {
    expect(maxOverMean(loads((index, j) => placeJob(j, index).workerId))).toBeLessThanOrEqual(1.12);
  });

  it("spreads jobs among equally good workers: max/mean load ≤ 1.12 (linear scan)", () => {
    expect(maxOverMean(loads((index, j) => linearScan(j, index.workers()).workerId))).toBeLessThanOrEqual(1.12);
  });
});
