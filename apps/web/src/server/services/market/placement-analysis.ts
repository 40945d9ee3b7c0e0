// Why a worker did not get recent jobs, from the same rules the indexer placed them with,
// pure: each recent job is put to the worker again through the indexer's job filters, its
// distance is held against the job's latency window, and its score (explainWorker, today's
// settings) against the winner's score stored in the job's placement.
import {
  clientLocation,
  type Eliminated,
  emptyEliminated,
  expectedRttMs,
  explainWorker,
  type Job,
  jobFilter,
  latencyWindowMs,
  type ResolvedOptions,
  scoreContext,
  TERM_NAMES,
  type TermName,
  type Worker,
} from "@proofgrid/indexer";

/** A recent job as the dispatcher placed it (dispatch/network.ts loadQueued's shape). */
export interface RecentJob {
  job: Job & { clientRegion: string; maxPerCuBaseUnits: bigint };
  /** From the job's stored placement: who won, at what score and RTT (null: not placed yet). */
  winner: { workerId: string; score: number; expectedRttMs: number; contributions: Partial<Record<TermName, number>> } | null;
}

export interface PlacementAnalysis {
  /** Jobs of other organisations for models the worker serves. */
  jobsAnalysed: number;
  /** Its own organisation's jobs: never placed on it (self-dealing), left out of everything else. */
  ownOrgJobs: number;
  /** Per job filter, the jobs it eliminated the worker from (model, quarantined, stake and
   * slots describe the worker, not a job: they are reasons of their own). */
  eliminated: Eliminated;
  /** Jobs the price filter kept from it that another worker could take (its cap was at or
   * above another's ask): lost to a cheaper worker, not to a customer's cap below every ask. */
  lostOnPrice: number;
  /** Jobs whose client is within the latency window of this worker, whatever the filters said:
   * the demand it is placed to serve. */
  nearby: number;
  /** Jobs it passed every filter for. */
  passed: number;
  /** Of those, jobs it was near enough to be scored for: RTT within the job's latency window. */
  withinLatencyWindow: number;
  /** Jobs whose stored winner is this worker. */
  won: number;
  /** Scored jobs another worker won with a score at least this worker's today. */
  outscored: number;
  /** Scored jobs another worker won although this worker scores higher today: it was busy,
   * offline, cooling down, or asked more at the time. */
  wouldWinNow: number;
  /** Over the outscored jobs, the mean contribution by which the winner beat it, per term. */
  meanDeficit: Record<TermName, number>;
  /** Jobs per client region (demand as the worker sees it). */
  demandByClientRegion: Record<string, number>;
}

/**
 * `others` are the workers the job could also have gone to (the live network); with the
 * worker itself and the stored winner they fix the nearest RTT a job's latency window is
 * measured from.
 */
export function analyseRecentJobs(opts: {
  worker: Worker;
  jobs: readonly RecentJob[];
  others: readonly Worker[];
  opts: ResolvedOptions;
  meanSelections: (modelId: string) => number;
}): PlacementAnalysis {
  const { worker, opts: o } = opts;
  const a: PlacementAnalysis = {
    jobsAnalysed: 0,
    ownOrgJobs: 0,
    eliminated: emptyEliminated(),
    lostOnPrice: 0,
    nearby: 0,
    passed: 0,
    withinLatencyWindow: 0,
    won: 0,
    outscored: 0,
    wouldWinNow: 0,
    meanDeficit: Object.fromEntries(TERM_NAMES.map((t) => [t, 0])) as Record<TermName, number>,
    demandByClientRegion: {},
  };
  // The nearest other worker that could have taken the job (slots aside: they change by the
  // second), per distinct (client region, model, cap, organisation): ≤ 200 jobs, ~30 regions.
  const nearest = new Map<string, number>();
  const nearestOther = (job: RecentJob["job"]) => {
    const key = `${job.clientRegion}|${job.modelId}|${job.maxPerCuBaseUnits}|${job.orgId}`;
    let best = nearest.get(key);
    if (best === undefined) {
      best = Number.POSITIVE_INFINITY;
      const client = clientLocation(job);
      for (const w of opts.others) {
        if (w.id === worker.id || w.quarantined || !w.minStakeOk || !w.models.includes(job.modelId)) continue;
        const rtt = expectedRttMs(client, w);
        if (jobFilter(job, w, rtt, o) === null) best = Math.min(best, rtt);
      }
      nearest.set(key, best);
    }
    return best;
  };

  for (const { job, winner } of opts.jobs) {
    if (job.orgId === worker.orgId) {
      a.ownOrgJobs++;
      a.eliminated.sameOrg++;
      continue;
    }
    a.jobsAnalysed++;
    a.demandByClientRegion[job.clientRegion] = (a.demandByClientRegion[job.clientRegion] ?? 0) + 1;
    if (winner?.workerId === worker.id) a.won++;
    if (!worker.models.includes(job.modelId)) {
      a.eliminated.model++;
      continue;
    }
    const rtt = expectedRttMs(clientLocation(job), worker);
    const best = Math.min(rtt, nearestOther(job), winner?.expectedRttMs ?? Number.POSITIVE_INFINITY);
    const near = rtt <= latencyWindowMs(best, o);
    if (near) a.nearby++;
    const failed = jobFilter(job, worker, rtt, o);
    if (failed) {
      a.eliminated[failed]++;
      if (failed === "price" && Number.isFinite(nearestOther(job))) a.lostOnPrice++;
      continue;
    }
    a.passed++;
    if (!near) continue;
    a.withinLatencyWindow++;
    if (!winner || winner.workerId === worker.id) continue;
    const mine = explainWorker(worker, rtt, scoreContext(job, o, opts.meanSelections(job.modelId)));
    if (mine.score > winner.score) {
      a.wouldWinNow++;
      continue;
    }
    a.outscored++;
    for (const t of TERM_NAMES) a.meanDeficit[t] += Math.max(0, (winner.contributions[t] ?? 0) - mine.terms[t].contribution);
  }
  if (a.outscored > 0) for (const t of TERM_NAMES) a.meanDeficit[t] /= a.outscored;
  return a;
}

/** Terms by how much the winners beat the worker on them, largest first (only those it lost on). */
export function termsLostOn(meanDeficit: Record<TermName, number>): TermName[] {
  return TERM_NAMES.filter((t) => meanDeficit[t] > 1e-9).sort((x, y) => meanDeficit[y] - meanDeficit[x]);
}
