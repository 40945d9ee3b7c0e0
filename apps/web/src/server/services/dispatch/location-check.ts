import { estimateRttMs, FIBRE_KM_PER_MS, FIXED_RTT_MS, haversineKm, type LatLon } from "@proofgrid/indexer";

/** Below this share of the speed-of-light bound a probe is taken as proof the declared
 * location is false (slack for clock granularity; light in fibre is never faster). */
export const PLAUSIBLE_SHARE = 0.8;

export interface LocationEvidence {
  /** The fastest physically possible round trip between the probe and the declared place. */
  minPossibleRttMs: number;
  /** Median protocol overhead the probes measured (lease reply → result, minus inference). */
  observedRttMs: number;
  /** False when the worker answered faster than light allows from where it says it is. */
  plausible: boolean;
  /** RTT as if probed from the worker's own region: what the indexer adds as its link delay
   * (FIXED_RTT_MS plus whatever the probes took beyond the geography). */
  measuredRttMs: number;
}

/**
 * What latency probes say about a worker's declared location. The platform in `probe`
 * timed jobs from lease to result; each took at least one round trip to the worker, so a
 * median overhead under PLAUSIBLE_SHARE of the fibre bound for the declared distance means
 * the worker is closer than it claims (a region lie to attract nearby customers). Time
 * beyond the geographic estimate is the worker's own last-mile delay.
 */
export function locationEvidence(opts: { probe: LatLon; declared: LatLon; overheadsMs: readonly number[] }): LocationEvidence | null {
  const xs = opts.overheadsMs.filter((x) => Number.isFinite(x) && x >= 0).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const observed = xs[Math.floor((xs.length - 1) / 2)] as number;
  const km = haversineKm(opts.probe, opts.declared);
  const minPossible = (2 * km) / FIBRE_KM_PER_MS;
  const plausible = observed >= PLAUSIBLE_SHARE * minPossible;
  return {
    minPossibleRttMs: minPossible,
    observedRttMs: observed,
    plausible,
    measuredRttMs: FIXED_RTT_MS + Math.max(0, observed - estimateRttMs(km)),
  };
}
