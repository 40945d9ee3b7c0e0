// placeJob: choose the worker for a job. Hard filters first (a worker that fails one is
// never chosen), then a latency window (only workers within best·(1+ratio)+ms of the nearest
// feasible one), then a weighted score; ties go to the lower RTT, then the smaller id.
// linearScan applies the same rules to every worker and is the reference for tests and the benchmark.
import type { LatLon } from "./geo.ts";
import {
  clientLocation,
  type Eliminated,
  emptyEliminated,
  type Explanation,
  explainWorker,
  expectedRttMs,
  FILTER_NAMES,
  type Job,
  jobFilter,
  latencyWindowMs,
  type PlacementOptions,
  type ResolvedOptions,
  ranksAbove,
  resolveOptions,
  type ScoreContext,
  scoreContext,
  scoreWorker,
  unavailability,
  type Worker,
} from "./scoring.ts";
import type { Candidate, RankedCandidate, WorkerIndex } from "./worker-index.ts";

export interface NoWorkerReason {
  message: string;
  /** Per hard filter, how many workers it eliminated (each worker counted once, at its first failing filter). */
  eliminated: Eliminated;
}

export interface Decision {
  workerId: string | null;
  score: number | null;
  expectedRttMs: number | null;
  reason: NoWorkerReason | null;
  explanation: { winner: Explanation | null; runnerUp: Explanation | null };
  /** Workers scored. */
  considered: number;
  /** Workers looked at (filters evaluated). */
  scanned: number;
}

/**
 * resolveOptions() for the common call without options, resolved once (it validates weights
 * and allocates). Module-private and never handed to a caller. Not frozen: a frozen object has
 * its own hidden class, and the search's inline caches would then see two shapes of options.
 */
const DEFAULT_OPTIONS: ResolvedOptions = resolveOptions();

export function placeJob(job: Job, index: WorkerIndex, options?: PlacementOptions): Decision {
  const opts = options === undefined ? DEFAULT_OPTIONS : resolveOptions(options);
  const client = clientLocation(job);
  const ctx = scoreContext(job, opts, index.meanSelections(job.modelId));
  const r = index.searchRanked(job, client, opts, ctx);
  return decision(job, r.winner, r.runnerUp, ctx, r.considered, r.eliminated, r.scanned);
}

export function linearScan(job: Job, workers: Iterable<Worker>, options?: PlacementOptions): Decision {
  const opts = resolveOptions(options);
  const client = clientLocation(job);
  const all = [...workers];
  let supporting = 0;
  let selectionSum = 0;
  for (const w of all) {
    if (!w.models.includes(job.modelId)) continue;
    supporting++;
    selectionSum += w.selections;
  }
  const { feasible, eliminated } = filterAll(job, all, client, opts);
  let best = Number.POSITIVE_INFINITY;
  for (const c of feasible) best = Math.min(best, c.rttMs);
  const window = latencyWindowMs(best, opts);
  const ctx = scoreContext(job, opts, supporting > 0 ? selectionSum / supporting : 0);
  return decide(
    job,
    feasible.filter((c) => c.rttMs <= window),
    ctx,
    eliminated,
    all.length,
  );
}

function filterAll(job: Job, workers: readonly Worker[], client: LatLon, opts: ResolvedOptions) {
  const eliminated = emptyEliminated();
  const feasible: Candidate[] = [];
  for (const worker of workers) {
    if (!worker.models.includes(job.modelId)) {
      eliminated.model++;
      continue;
    }
    const cause = unavailability(worker);
    if (cause) {
      eliminated[cause]++;
      continue;
    }
    const rttMs = expectedRttMs(client, worker);
    const failed = jobFilter(job, worker, rttMs, opts);
    if (failed) eliminated[failed]++;
    else feasible.push({ worker, rttMs });
  }
  return { feasible, eliminated };
}

/** Scores every candidate and keeps the best two in the placer's order (see ranksAbove). */
function decide(job: Job, candidates: readonly Candidate[], ctx: ScoreContext, eliminated: Eliminated, scanned: number): Decision {
  let first: RankedCandidate | null = null;
  let second: RankedCandidate | null = null;
  for (const c of candidates) {
    const s: RankedCandidate = { worker: c.worker, rttMs: c.rttMs, score: scoreWorker(c.worker, c.rttMs, ctx) };
    if (!first || better(s, first)) {
      second = first;
      first = s;
    } else if (!second || better(s, second)) {
      second = s;
    }
  }
  return decision(job, first, second, ctx, candidates.length, eliminated, scanned);
}

const better = (a: RankedCandidate, b: RankedCandidate) => ranksAbove(a.score, a.rttMs, a.worker.id, b.score, b.rttMs, b.worker.id);

function decision(
  job: Job,
  first: RankedCandidate | null,
  second: RankedCandidate | null,
  ctx: ScoreContext,
  considered: number,
  eliminated: Eliminated,
  scanned: number,
): Decision {
  if (!first) {
    return {
      workerId: null,
      score: null,
      expectedRttMs: null,
      reason: { message: noWorkerMessage(job, eliminated), eliminated },
      explanation: { winner: null, runnerUp: null },
      considered: 0,
      scanned,
    };
  }
  return {
    workerId: first.worker.id,
    score: first.score,
    expectedRttMs: first.rttMs,
    reason: null,
    explanation: {
      winner: explainWorker(first.worker, first.rttMs, ctx),
      runnerUp: second ? explainWorker(second.worker, second.rttMs, ctx) : null,
    },
    considered,
    scanned,
  };
}

const FILTER_TEXT: Record<keyof Eliminated, string> = {
  model: "do not serve the model",
  quarantined: "are quarantined",
  stake: "lack the minimum stake",
  slots: "have no free slot",
  latency: "are too far for the latency limit",
  price: "ask more than the price cap",
  reputation: "are below the minimum reputation",
  sameOrg: "belong to the job's own org",
};

function noWorkerMessage(job: Job, eliminated: Eliminated): string {
  const parts = FILTER_NAMES.filter((f) => eliminated[f] > 0).map((f) => `${eliminated[f]} ${FILTER_TEXT[f]}`);
  return parts.length === 0 ? `no workers for model ${job.modelId}` : `no worker can take model ${job.modelId}: ${parts.join(", ")}`;
}
