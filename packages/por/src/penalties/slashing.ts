// The economics that make cheating unprofitable. A worker that fakes a result gains g (the
// compute it did not spend, at most the job's payout). Each job is re-executed with
// probability p; if a fake is caught the worker loses S from its stake. Per faked job:
//
//   E[gain] = (1 − p)·g − p·S   ≤ 0   ⇔   S ≥ g·(1 − p)/p
//
// so the minimum slash is g·(1 − p)/p: 49·g at the 2 % re-execution floor, 9·g at 10 %.
// Read the other way: the slash must cover the gain from the (1 − p)/p fakes a cheater gets
// away with, on average, before the first one is caught.

/** Smallest slash that makes faking a job worth `gainPerJob` unprofitable at re-check rate p:
 * gain·(1 − p)/p, in the unit of `gainPerJob` (not rounded: round up when converting to base
 * units). Infinity at p = 0: no slash deters a worker that is never checked. */
export function minimumSlash(options: { gainPerJob: number; recheckRate: number }): number {
  const { gainPerJob, recheckRate: p } = options;
  if (!(Number.isFinite(gainPerJob) && gainPerJob >= 0)) throw new RangeError(`gainPerJob must be finite and ≥ 0, got ${gainPerJob}`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`recheckRate must be in [0, 1], got ${p}`);
  if (gainPerJob === 0) return 0;
  if (p === 0) return Number.POSITIVE_INFINITY;
  return (gainPerJob * (1 - p)) / p;
}

/**
 * Expected gain per job for a worker that fakes a fraction f of its jobs:
 * f·((1 − p)·gain − p·slash). Negative means cheating loses money on average; it is ≤ 0 for
 * every f exactly when slash ≥ minimumSlash({ gainPerJob: gain, recheckRate: p }).
 */
export function expectedCheatingGain(options: { gain: number; p: number; f: number; slash: number }): number {
  const { gain, p, f, slash } = options;
  if (!(Number.isFinite(gain) && gain >= 0)) throw new RangeError(`gain must be finite and ≥ 0, got ${gain}`);
  if (!(Number.isFinite(slash) && slash >= 0)) throw new RangeError(`slash must be finite and ≥ 0, got ${slash}`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`p must be in [0, 1], got ${p}`);
  if (!(f >= 0 && f <= 1)) throw new RangeError(`f must be in [0, 1], got ${f}`);
  return f * ((1 - p) * gain - p * slash);
}
