// What a worker and a job look like to the placer, the hard filters, and the score.
// Shared by the index search and the linear reference scan so that both apply exactly
// the same rules; only the set of workers they look at differs.
import { estimateRttMs, FIXED_RTT_MS, getRegionOrThrow, haversineKm, isValidLatLon, type LatLon } from "./geo.ts";

export interface Worker {
  id: string;
  orgId: string;
  /** Region id the operator declared; informational — placement uses lat/lon. */
  region: string;
  lat: number;
  lon: number;
  models: readonly string[];
  /** Models already in GPU memory: no cold start. */
  loadedModels: readonly string[];
  freeSlots: number;
  /** Base units per compute-unit hour (integers: money is never a float). */
  askPerCuBaseUnits: bigint;
  /** 0..1, from @proofgrid/por's reputationScore. */
  reputation: number;
  stake: bigint;
  minStakeOk: boolean;
  quarantined: boolean;
  /**
   * RTT measured from a probe in the worker's own region to the worker. What it exceeds
   * FIXED_RTT_MS by is last-mile delay (home uplink, NAT, congestion) every client also pays.
   */
  measuredRttMs?: number;
  /** How many jobs the placer has given this worker; feeds the fairness term. */
  selections: number;
}

export type ClientLocation = { clientRegion: string } | { clientLat: number; clientLon: number };

export type Job = ClientLocation & {
  modelId: string;
  orgId: string;
  maxPerCuBaseUnits?: bigint;
  maxLatencyMs?: number;
};

export const TERM_NAMES = ["latency", "reputation", "price", "warm", "stake", "fairness"] as const;
export type TermName = (typeof TERM_NAMES)[number];
export type Weights = Record<TermName, number>;

/** Latency first: the window below already bounds how far the other terms can pull a job. */
export const DEFAULT_WEIGHTS: Readonly<Weights> = Object.freeze({
  latency: 0.3,
  reputation: 0.2,
  price: 0.15,
  warm: 0.1,
  stake: 0.05,
  fairness: 0.2,
});

export interface PlacementOptions {
  weights?: Partial<Weights>;
  /** Candidates the index collects before it stops searching outward (default 32). */
  k?: number;
  minReputation?: number;
  /**
   * The latency window: only feasible workers with RTT ≤ best·(1 + ratio) + ms are scored,
   * so reputation, price or fairness can never send a job across an ocean when a worker
   * nearby can take it. Defaults 0.05 and 1 ms: measured with bench:indexer, 0.1 and 3 ms gave
   * mean latency 1.112× the nearest feasible worker, 0.05 and 2 ms 1.105×, 0.05 and 1 ms 1.094×
   * (goal ≤ 1.10), with fairness unchanged (max/mean 1.005).
   */
  latencySlackRatio?: number;
  latencySlackMs?: number;
  /** RTT at which the latency term is 0.5 (default 50 ms). */
  latencyScaleMs?: number;
  /** Price at which the price term is 0.5 when the job sets no cap (default 1 000 000). */
  referencePricePerCuHour?: bigint;
  /** Stake at which the stake term is 0.5 (default 1 000 000 000). */
  stakeScale?: bigint;
  /** A client's jobs may not run on its own org's workers: self-dealing would farm rewards and reputation. */
  allowSameOrg?: boolean;
}

export interface ResolvedOptions {
  weights: Weights;
  k: number;
  minReputation: number;
  latencySlackRatio: number;
  latencySlackMs: number;
  latencyScaleMs: number;
  referencePricePerCuHour: bigint;
  stakeScale: bigint;
  allowSameOrg: boolean;
}

/** Beyond this, scoring candidates costs more than it gains; also bounds a decision's work. */
export const MAX_K = 1_024;

export function resolveOptions(opts: PlacementOptions = {}): ResolvedOptions {
  const weights: Weights = { ...DEFAULT_WEIGHTS, ...opts.weights };
  for (const name of TERM_NAMES) {
    if (!(weights[name] >= 0) || !Number.isFinite(weights[name]))
      throw new Error(`weight "${name}" must be a finite number ≥ 0, got ${weights[name]}`);
  }
  const k = opts.k ?? 32;
  if (!Number.isInteger(k) || k < 1 || k > MAX_K) throw new Error(`k must be an integer in 1..${MAX_K}, got ${k}`);
  const resolved: ResolvedOptions = {
    weights,
    k,
    minReputation: opts.minReputation ?? 0,
    latencySlackRatio: opts.latencySlackRatio ?? 0.05,
    latencySlackMs: opts.latencySlackMs ?? 1,
    latencyScaleMs: opts.latencyScaleMs ?? 50,
    referencePricePerCuHour: opts.referencePricePerCuHour ?? 1_000_000n,
    stakeScale: opts.stakeScale ?? 1_000_000_000n,
    allowSameOrg: opts.allowSameOrg ?? false,
  };
  if (resolved.latencySlackRatio < 0 || resolved.latencySlackMs < 0) throw new Error("latency slack must be ≥ 0");
  if (!(resolved.latencyScaleMs > 0)) throw new Error("latencyScaleMs must be > 0");
  if (resolved.referencePricePerCuHour <= 0n || resolved.stakeScale <= 0n)
    throw new Error("referencePricePerCuHour and stakeScale must be > 0");
  return resolved;
}

export function clientLocation(job: Job): LatLon {
  if ("clientRegion" in job) return getRegionOrThrow(job.clientRegion);
  const p = { lat: job.clientLat, lon: job.clientLon };
  if (!isValidLatLon(p)) throw new Error(`job client location (${job.clientLat}, ${job.clientLon}) is not a valid lat/lon`);
  return p;
}

/** Delay a worker's own link adds on top of geography; see Worker.measuredRttMs. */
export function linkPenaltyMs(worker: Worker): number {
  return worker.measuredRttMs === undefined ? 0 : Math.max(0, worker.measuredRttMs - FIXED_RTT_MS);
}

export function expectedRttMs(client: LatLon, worker: Worker): number {
  return estimateRttMs(haversineKm(client, worker)) + linkPenaltyMs(worker);
}

/**
 * Hard filters in the order they are counted. The first four depend only on the worker
 * (the index keeps failing workers out of its buckets); latency comes first among the
 * per-job ones so that buckets the index prunes by distance count the same as in a scan.
 */
export const FILTER_NAMES = ["model", "quarantined", "stake", "slots", "latency", "price", "reputation", "sameOrg"] as const;
export type FilterName = (typeof FILTER_NAMES)[number];
export type Eliminated = Record<FilterName, number>;

export function emptyEliminated(): Eliminated {
  return { model: 0, quarantined: 0, stake: 0, slots: 0, latency: 0, price: 0, reputation: 0, sameOrg: 0 };
}

/** The worker-only filter a worker fails first (model support aside), or null if available. */
export function unavailability(worker: Worker): "quarantined" | "stake" | "slots" | null {
  if (worker.quarantined) return "quarantined";
  if (!worker.minStakeOk) return "stake";
  if (!(worker.freeSlots > 0)) return "slots";
  return null;
}

/** The job-dependent filter an available worker fails first, or null if it may take the job. */
export function jobFilter(
  job: Job,
  worker: Worker,
  rttMs: number,
  opts: ResolvedOptions,
): "latency" | "price" | "reputation" | "sameOrg" | null {
  if (job.maxLatencyMs !== undefined && rttMs > job.maxLatencyMs) return "latency";
  if (job.maxPerCuBaseUnits !== undefined && worker.askPerCuBaseUnits > job.maxPerCuBaseUnits) return "price";
  if (!(worker.reputation >= opts.minReputation)) return "reputation";
  if (!opts.allowSameOrg && worker.orgId === job.orgId) return "sameOrg";
  return null;
}

export interface TermExplanation {
  /** Normalised to 0..1, higher is better. */
  value: number;
  weight: number;
  contribution: number;
}

export interface Explanation {
  workerId: string;
  score: number;
  expectedRttMs: number;
  terms: Record<TermName, TermExplanation>;
}

/** Everything a score depends on besides the worker, computed once per decision. */
export interface ScoreContext {
  modelId: string;
  opts: ResolvedOptions;
  priceReference: number;
  /** opts.stakeScale as a number, converted once per decision rather than once per candidate. */
  stakeScale: number;
  /** Mean selections over all workers that serve the model: a worker's fair share. */
  meanSelections: number;
}

export function scoreContext(job: Job, opts: ResolvedOptions, meanSelections: number): ScoreContext {
  return {
    modelId: job.modelId,
    opts,
    priceReference: Number(job.maxPerCuBaseUnits ?? opts.referencePricePerCuHour),
    stakeScale: Number(opts.stakeScale),
    meanSelections,
  };
}

/**
 * What a score needs from a worker, as plain numbers. The index keeps these per worker so a
 * decision scores candidates without touching Worker objects or converting bigints; the
 * linear scan derives them from the Worker. Both then run the same arithmetic below.
 */
export interface ScoreInputs {
  reputation: number;
  /** Number(askPerCuBaseUnits): only the score uses it; the price filter compares bigints. */
  ask: number;
  /** 1 if the job's model is already loaded, else 0. */
  warm: number;
  /** Number(stake). */
  stake: number;
  selections: number;
}

export function scoreInputs(worker: Worker, modelId: string): ScoreInputs {
  return {
    reputation: worker.reputation,
    ask: Number(worker.askPerCuBaseUnits),
    warm: worker.loadedModels.includes(modelId) ? 1 : 0,
    stake: Number(worker.stake),
    selections: worker.selections,
  };
}

/** x/(x+scale): 0 at 0, 0.5 at scale, → 1; no hard upper limit needed for unbounded inputs. */
const saturate = (x: number, scale: number) => (x <= 0 ? 0 : x / (x + scale));

// One function per term, so that every way of scoring computes each value the same way.
const latencyValue = (rttMs: number, ctx: ScoreContext) => ctx.opts.latencyScaleMs / (ctx.opts.latencyScaleMs + rttMs);
const reputationValue = (reputation: number) => Math.min(1, Math.max(0, reputation));
// A job's cap (else the reference) scores 0.5; free scores 1. A zero cap makes every ask 0.
const priceValue = (ask: number, ctx: ScoreContext) =>
  ctx.priceReference <= 0 ? 1 : ctx.priceReference / (ctx.priceReference + Math.max(0, ask));
const stakeValue = (stake: number, ctx: ScoreContext) => saturate(stake, ctx.stakeScale);
// Below its share (mean selections) a worker earns up to 1; at or above it, nothing.
// +1 keeps the term defined for a fresh network and small while counts are small.
const fairnessValue = (selections: number, ctx: ScoreContext) =>
  Math.min(1, Math.max(0, (ctx.meanSelections - selections) / (ctx.meanSelections + 1)));

export function termValues(worker: Worker, rttMs: number, ctx: ScoreContext): Record<TermName, number> {
  return termValuesOf(scoreInputs(worker, ctx.modelId), rttMs, ctx);
}

function termValuesOf(w: ScoreInputs, rttMs: number, ctx: ScoreContext): Record<TermName, number> {
  return {
    latency: latencyValue(rttMs, ctx),
    reputation: reputationValue(w.reputation),
    price: priceValue(w.ask, ctx),
    warm: w.warm,
    stake: stakeValue(w.stake, ctx),
    fairness: fairnessValue(w.selections, ctx),
  };
}

/**
 * Score = Σ weight·value, summed in TERM_NAMES order so explanations add up exactly.
 * Takes the inputs as separate numbers and allocates nothing: the index calls it for every
 * candidate of every decision.
 */
export function scoreOf(
  rttMs: number,
  reputation: number,
  ask: number,
  warm: number,
  stake: number,
  selections: number,
  ctx: ScoreContext,
): number {
  const w = ctx.opts.weights;
  let score = 0;
  score += w.latency * latencyValue(rttMs, ctx);
  score += w.reputation * reputationValue(reputation);
  score += w.price * priceValue(ask, ctx);
  score += w.warm * warm;
  score += w.stake * stakeValue(stake, ctx);
  score += w.fairness * fairnessValue(selections, ctx);
  return score;
}

export function scoreWorker(worker: Worker, rttMs: number, ctx: ScoreContext): number {
  return scoreOf(
    rttMs,
    worker.reputation,
    Number(worker.askPerCuBaseUnits),
    worker.loadedModels.includes(ctx.modelId) ? 1 : 0,
    Number(worker.stake),
    worker.selections,
    ctx,
  );
}

function term(value: number, weight: number): TermExplanation {
  return { value, weight, contribution: weight * value };
}

export function explainWorker(worker: Worker, rttMs: number, ctx: ScoreContext): Explanation {
  const v = termValues(worker, rttMs, ctx);
  const w = ctx.opts.weights;
  // Written out rather than looped over TERM_NAMES: the same sum in the same order as scoreOf,
  // without keyed stores (a decision builds two of these).
  const terms: Record<TermName, TermExplanation> = {
    latency: term(v.latency, w.latency),
    reputation: term(v.reputation, w.reputation),
    price: term(v.price, w.price),
    warm: term(v.warm, w.warm),
    stake: term(v.stake, w.stake),
    fairness: term(v.fairness, w.fairness),
  };
  let score = 0;
  score += terms.latency.contribution;
  score += terms.reputation.contribution;
  score += terms.price.contribution;
  score += terms.warm.contribution;
  score += terms.stake.contribution;
  score += terms.fairness.contribution;
  return { workerId: worker.id, score, expectedRttMs: rttMs, terms };
}

/** The placer's order: higher score first; then lower RTT; then the smaller id, so equal inputs give equal answers. */
export function ranksAbove(scoreA: number, rttA: number, idA: string, scoreB: number, rttB: number, idB: string): boolean {
  if (scoreA !== scoreB) return scoreA > scoreB;
  if (rttA !== rttB) return rttA < rttB;
  return idA < idB;
}

export function latencyWindowMs(bestRttMs: number, opts: ResolvedOptions): number {
  return bestRttMs * (1 + opts.latencySlackRatio) + opts.latencySlackMs;
}
