import { findRegion, linearScan, resolveOptions, type Worker } from "@proofgrid/indexer";
import { describe, expect, it } from "vitest";
import { analyseRecentJobs, type RecentJob, termsLostOn } from "./placement-analysis.ts";

const at = (region: string) => {
  const r = findRegion(region);
  if (!r) throw new Error(region);
  return { region, lat: r.lat, lon: r.lon };
};

const worker = (id: string, over: Partial<Worker> = {}): Worker => ({
  id,
  orgId: "provider",
  ...at("eu-central"),
  models: ["m"],
  loadedModels: [],
  freeSlots: 1,
  askPerCuBaseUnits: 40_000n,
  reputation: 0.5,
  stake: 1_000_000_000n,
  minStakeOk: true,
  quarantined: false,
  selections: 0,
  ...over,
});

const opts = resolveOptions();

/** A job placed by the indexer's reference scan, with its winner stored as the dispatcher stores it. */
function placed(workers: Worker[], job: RecentJob["job"]): RecentJob {
  const d = linearScan(job, workers);
  const w = d.explanation.winner;
  return {
    job,
    winner: w && {
      workerId: w.workerId,
      score: w.score,
      expectedRttMs: w.expectedRttMs,
      contributions: Object.fromEntries(Object.entries(w.terms).map(([t, e]) => [t, e.contribution])),
    },
  };
}

const job = (over: Partial<RecentJob["job"]> = {}): RecentJob["job"] => ({
  modelId: "m",
  orgId: "customer",
  clientRegion: "eu-central",
  maxPerCuBaseUnits: 50_000n,
  ...over,
});

describe("putting recent jobs to a worker again", () => {
  it("counts the price filter for a worker asking above the caps", () => {
    const cheap = worker("cheap");
    const pricey = worker("pricey", { askPerCuBaseUnits: 10_000_000n });
    const jobs = [
      placed([cheap, pricey], job()),
      placed([cheap, pricey], job()),
      placed([cheap, pricey], job({ maxPerCuBaseUnits: 20_000_000n })),
    ];
    const a = analyseRecentJobs({ worker: pricey, jobs, others: [cheap, pricey], opts, meanSelections: () => 0 });
    expect(a.jobsAnalysed).toBe(3);
    expect(a.eliminated.price).toBe(2);
    expect(a.lostOnPrice).toBe(2);
    expect(a.passed).toBe(1);
    // The third job it could take, and lost on price to the cheaper worker next door.
    expect(a.withinLatencyWindow).toBe(1);
    expect(a.outscored).toBe(1);
    expect(termsLostOn(a.meanDeficit)[0]).toBe("price");
  });

  it("a cap below every ask is the customer's: the price filter counts it, no cheaper worker took it", () => {
    const cheap = worker("cheap");
    const pricey = worker("pricey", { askPerCuBaseUnits: 45_000n });
    const jobs = [placed([cheap, pricey], job({ maxPerCuBaseUnits: 30_000n }))];
    expect(jobs[0]?.winner).toBeNull();
    const a = analyseRecentJobs({ worker: cheap, jobs, others: [cheap, pricey], opts, meanSelections: () => 0 });
    expect(a).toMatchObject({ jobsAnalysed: 1, lostOnPrice: 0, nearby: 1 });
    expect(a.eliminated.price).toBe(1);
  });

  it("a worker far from every client is outside the latency window: no nearby demand", () => {
    const near = worker("near");
    const far = worker("far", at("ap-sydney"));
    const jobs = [placed([near, far], job()), placed([near, far], job({ clientRegion: "eu-paris" }))];
    const a = analyseRecentJobs({ worker: far, jobs, others: [near, far], opts, meanSelections: () => 0 });
    expect(a.passed).toBe(2);
    expect(a.nearby).toBe(0);
    expect(a.withinLatencyWindow).toBe(0);
    expect(a.outscored).toBe(0);
    expect(a.demandByClientRegion).toEqual({ "eu-central": 1, "eu-paris": 1 });
    // Seen from the near worker, the same jobs are its own.
    const b = analyseRecentJobs({ worker: near, jobs, others: [near, far], opts, meanSelections: () => 0 });
    expect(b).toMatchObject({ nearby: 2, won: 2, outscored: 0 });
  });

  it("its own organisation's jobs are left out; a lower reputation shows as the term it lost on", () => {
    const good = worker("good", { reputation: 0.95 });
    const poor = worker("poor", { reputation: 0.1 });
    const jobs = [placed([good, poor], job()), placed([good, poor], job({ orgId: "provider" }))];
    const a = analyseRecentJobs({ worker: poor, jobs, others: [good, poor], opts, meanSelections: () => 0 });
    expect(a.ownOrgJobs).toBe(1);
    expect(a.eliminated.sameOrg).toBe(1);
    expect(a.jobsAnalysed).toBe(1);
    expect(a.outscored).toBe(1);
    expect(termsLostOn(a.meanDeficit)).toEqual(["reputation"]);
    expect(a.meanDeficit.reputation).toBeCloseTo(0.2 * (0.95 - 0.1), 9);
  });

  it("a job won by another while this worker scores higher today counts as would-win-now", () => {
    const other = worker("other");
    const me = worker("me", { askPerCuBaseUnits: 30_000n });
    // Placed while `me` was busy: only `other` was a candidate.
    const jobs = [placed([other], job())];
    const a = analyseRecentJobs({ worker: me, jobs, others: [other, me], opts, meanSelections: () => 0 });
    expect(a).toMatchObject({ passed: 1, withinLatencyWindow: 1, outscored: 0, wouldWinNow: 1 });
  });
});
