import { createHmac } from "node:crypto";

// Which jobs a checker re-executes, and how many canaries (platform jobs with known answers)
// a worker receives. Both rates rise with risk: a new worker or one with a poor reputation is
// checked often; a long-standing honest worker is checked at the floor, never less.
//
//   risk = 1 − reputation × experience,    experience = jobs / (jobs + warmupJobs)
//   rate = floor + (cap − floor) × risk
//
// A worker with no history has risk 1 (rate = cap) whatever its reputation; after warmupJobs
// jobs its experience is ½, so risk falls to 1 − reputation/2. The floor keeps cheating
// unprofitable for everyone (see penalties/slashing: the minimum slash is gain·(1−p)/p) and
// the cap bounds the checkers' load.

export interface RatePolicy {
  /** Lowest rate, for a long-standing worker with reputation 1. */
  floor: number;
  /** Highest rate, for a new or distrusted worker. */
  cap: number;
  /** Jobs after which experience counts for half. */
  warmupJobs: number;
}

export interface SamplingPolicy {
  reexecution: RatePolicy;
  canary: RatePolicy;
}

/**
 * Re-execution: 2 % floor: with 10 % of the price going to checkers, re-running 2 % of jobs
 * costs them a fifth of their income, and a worker cheating on every job is caught within
 * 150 jobs with 95 % probability (detectionProbability(0.02, 1, 150) = 0.952). 50 % cap: a new
 * worker's first jobs are checked every other time without doubling the network's cost.
 * Canaries: 0.5–5 %; they cost the protocol a whole job each, and mostly serve to check a
 * worker when there are few customer jobs to sample.
 */
export const DEFAULT_SAMPLING_POLICY: SamplingPolicy = {
  reexecution: { floor: 0.02, cap: 0.5, warmupJobs: 50 },
  canary: { floor: 0.005, cap: 0.05, warmupJobs: 50 },
};

export interface WorkerRiskInput {
  /** Reputation in [0, 1] (reputation/reputation.ts). */
  reputation: number;
  /** Jobs the worker has completed. */
  completedJobs: number;
}

/** The worker's risk in [0, 1]: 1 for a new or zero-reputation worker. */
export function workerRisk(input: WorkerRiskInput, warmupJobs: number): number {
  const { reputation, completedJobs } = input;
  if (!(reputation >= 0 && reputation <= 1)) throw new RangeError(`reputation must be in [0, 1], got ${reputation}`);
  if (!(Number.isFinite(completedJobs) && completedJobs >= 0)) throw new RangeError(`completedJobs must be ≥ 0, got ${completedJobs}`);
  if (!(Number.isFinite(warmupJobs) && warmupJobs > 0)) throw new RangeError(`warmupJobs must be > 0, got ${warmupJobs}`);
  const experience = completedJobs / (completedJobs + warmupJobs);
  return 1 - reputation * experience;
}

/** Share of the worker's jobs to re-execute on a checker, in [floor, cap]. */
export function reexecutionRate(input: WorkerRiskInput & { policy?: SamplingPolicy }): number {
  return rateFor(input, (input.policy ?? DEFAULT_SAMPLING_POLICY).reexecution);
}

/** Share of canary jobs to inject among the worker's jobs, in [floor, cap]. */
export function canaryRate(input: WorkerRiskInput & { policy?: SamplingPolicy }): number {
  return rateFor(input, (input.policy ?? DEFAULT_SAMPLING_POLICY).canary);
}

function rateFor(input: WorkerRiskInput, policy: RatePolicy): number {
  const { floor, cap } = policy;
  if (!(floor > 0 && floor <= cap && cap <= 1)) throw new RangeError(`rate policy needs 0 < floor ≤ cap ≤ 1, got ${floor}, ${cap}`);
  const rate = floor + (cap - floor) * workerRisk(input, policy.warmupJobs);
  return Math.min(cap, Math.max(floor, rate));
}

/** A sampling secret shorter than this could be guessed offline from observed decisions. */
export const MIN_SAMPLING_SEED_BYTES = 16;

/**
 * Deterministic, unpredictable sampling decision: u = HMAC-SHA256(seed, purpose ‖ jobId) as a
 * number in [0, 1), sampled when u < rate. The same (seed, job) always gives the same answer,
 * so any coordinator replica agrees and an audit can replay the decision; without the seed
 * (the platform's secret, or a per-epoch secret derived from it) a worker cannot tell which
 * of its jobs will be checked. Decide after the result is stored, so a worker never learns
 * the decision before it commits to an output.
 *
 * `purpose` separates independent decisions about the same job (e.g. "reexecute", "canary").
 */
export function shouldSample(seed: string | Uint8Array, jobId: string, rate: number, purpose = "reexecute"): boolean {
  return samplingValue(seed, jobId, purpose) < checkedRate(rate);
}

/** The uniform value in [0, 1) behind `shouldSample`, 53 bits of the HMAC. */
export function samplingValue(seed: string | Uint8Array, jobId: string, purpose = "reexecute"): number {
  const seedBytes = typeof seed === "string" ? Buffer.byteLength(seed, "utf8") : seed.byteLength;
  if (seedBytes < MIN_SAMPLING_SEED_BYTES) throw new RangeError(`sampling seed must be at least ${MIN_SAMPLING_SEED_BYTES} bytes`);
  if (jobId.length === 0 || jobId.length > 256) throw new RangeError("jobId must be 1..256 characters");
  if (purpose.includes("\n")) throw new RangeError("purpose must not contain a newline");
  const mac = createHmac("sha256", seed).update(`proofgrid-sample-v1\n${purpose}\n${jobId}`).digest();
  // 53 bits: every value is an exact double, uniform on a grid of 2^-53.
  const high = mac.readUInt32BE(0) >>> 11; // 21 bits
  const low = mac.readUInt32BE(4); // 32 bits
  return (high * 2 ** 32 + low) / 2 ** 53;
}

/**
 * Probability that a worker cheating on a fraction f of its jobs is caught at least once in
 * n jobs when each is re-executed with probability p: 1 − (1 − p·f)^n. Computed as
 * −expm1(n·log1p(−p·f)) so tiny rates do not vanish in rounding.
 */
export function detectionProbability(p: number, f: number, n: number): number {
  const pf = checkedRate(p) * checkedFraction(f);
  if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`n must be a non-negative integer, got ${n}`);
  if (n === 0 || pf === 0) return 0;
  if (pf === 1) return 1;
  return Math.min(1, -Math.expm1(n * Math.log1p(-pf)));
}

/** Smallest n with detectionProbability(p, f, n) ≥ confidence; Infinity if p·f = 0. */
export function jobsToDetect(p: number, f: number, confidence: number): number {
  const pf = checkedRate(p) * checkedFraction(f);
  if (!(confidence >= 0 && confidence < 1)) throw new RangeError(`confidence must be in [0, 1), got ${confidence}`);
  if (confidence === 0) return 0;
  if (pf === 0) return Number.POSITIVE_INFINITY;
  if (pf === 1) return 1;
  let n = Math.max(1, Math.ceil(Math.log1p(-confidence) / Math.log1p(-pf)));
  // The closed form can be off by one in rounding; a few steps make the contract exact.
  for (let step = 0; step < 4 && n > 1 && detectionProbability(p, f, n - 1) >= confidence; step++) n--;
  for (let step = 0; step < 4 && detectionProbability(p, f, n) < confidence; step++) n++;
  return n;
}

function checkedRate(rate: number): number {
  if (!(rate >= 0 && rate <= 1)) throw new RangeError(`rate must be in [0, 1], got ${rate}`);
  return rate;
}

function checkedFraction(f: number): number {
  if (!(f >= 0 && f <= 1)) throw new RangeError(`cheating fraction must be in [0, 1], got ${f}`);
  return f;
}
