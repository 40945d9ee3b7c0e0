import { expectedDurationMs } from "../pricing/compute-units.ts";

// A worker's reputation in [0, 1], folded event by event from what the platform observes:
//
//   score = integrity × (0.5·success + 0.3·latency + 0.2·uptime)
//
// - success: EWMA of job outcomes (1 succeeded, 0 failed or expired by the worker's fault);
// - latency: EWMA of speed against the worker's own claimed capability (latencyScore);
// - uptime:  EWMA of liveness probes (1 answered, 0 missed);
// - integrity: check results. A failed check moves it halfway to 0; a passed check moves it
//   5 % of the way back to 1, so one failure costs more than ten passes earn (for a worker in
//   good standing, integrity ≥ 0.5), and 32 passes are needed to climb from 0.5 back to 0.9.
//
// Integrity multiplies rather than adds: a worker that returns wrong answers must not make
// up for it by being fast and always online. Every EWMA weighs the newest event by `alpha`
// and older ones by (1 − alpha)^age: with alpha 0.05 the last ~20 events carry 64 % of the
// weight, so a worker recovers from a bad day but not from a bad month. The state is plain
// data: store it, replay events to rebuild it.

export interface ReputationState {
  success: number;
  latency: number;
  uptime: number;
  integrity: number;
  /** Events folded in so far. */
  events: number;
}

/** A new worker: unknown quality (½ each), no evidence of fraud (integrity 1) — score 0.5.
 * New workers are held in check by sampling (re-execution at the cap), not by a low score. */
export const INITIAL_REPUTATION: ReputationState = Object.freeze({ success: 0.5, latency: 0.5, uptime: 0.5, integrity: 1, events: 0 });

export interface ReputationParams {
  alphaJob: number;
  alphaLatency: number;
  alphaUptime: number;
  alphaCheckPassed: number;
  alphaCheckFailed: number;
  weights: { success: number; latency: number; uptime: number };
  /** Observed time may exceed the claim by this factor and still score 1 (load, thermals). */
  latencySlack: number;
}

export const DEFAULT_REPUTATION_PARAMS: ReputationParams = Object.freeze({
  alphaJob: 0.05,
  alphaLatency: 0.05,
  alphaUptime: 0.05,
  alphaCheckPassed: 0.05,
  alphaCheckFailed: 0.5,
  weights: Object.freeze({ success: 0.5, latency: 0.3, uptime: 0.2 }),
  latencySlack: 1.2,
});

export type ReputationEvent =
  /** A job attempt that ended. Count only outcomes the worker caused (not bad customer input). */
  | { kind: "job"; outcome: "succeeded" | "failed" | "expired"; latency?: LatencyObservation }
  /** A liveness probe or heartbeat window. */
  | { kind: "uptime"; online: boolean }
  /** A checker's verdict: re-execution, canary, capability challenge or latency probe. */
  | { kind: "check"; passed: boolean };

export interface LatencyObservation {
  costMilliCu: number;
  claimedCuPerHour: number;
  /** Measured inference time, ms. */
  observedMs: number;
}

/** Speed against the claim in [0, 1]: 1 within `slack` of the expected time, then
 * proportionally less (twice as slow as promised → about ½). */
export function latencyScore(observation: LatencyObservation, slack: number = DEFAULT_REPUTATION_PARAMS.latencySlack): number {
  const expectedMs = expectedDurationMs({ costMilliCu: observation.costMilliCu, cuPerHour: observation.claimedCuPerHour });
  if (!(Number.isFinite(observation.observedMs) && observation.observedMs >= 0))
    throw new RangeError(`observedMs must be ≥ 0, got ${observation.observedMs}`);
  if (!(slack >= 1 && Number.isFinite(slack))) throw new RangeError(`slack must be ≥ 1, got ${slack}`);
  if (observation.observedMs === 0) return 1;
  return Math.min(1, (slack * expectedMs) / observation.observedMs);
}

/** Folds one event into the state; returns a new state. */
export function updateReputation(
  state: ReputationState,
  event: ReputationEvent,
  params: ReputationParams = DEFAULT_REPUTATION_PARAMS,
): ReputationState {
  assertState(state);
  const next = { ...state, events: state.events + 1 };
  switch (event.kind) {
    case "job":
      next.success = ewma(state.success, event.outcome === "succeeded" ? 1 : 0, params.alphaJob);
      if (event.outcome === "succeeded" && event.latency)
        next.latency = ewma(state.latency, latencyScore(event.latency, params.latencySlack), params.alphaLatency);
      break;
    case "uptime":
      next.uptime = ewma(state.uptime, event.online ? 1 : 0, params.alphaUptime);
      break;
    case "check":
      next.integrity = event.passed ? ewma(state.integrity, 1, params.alphaCheckPassed) : ewma(state.integrity, 0, params.alphaCheckFailed);
      break;
  }
  return next;
}

/** Folds events in order from `initial` (default INITIAL_REPUTATION). */
export function reputationFromEvents(
  events: Iterable<ReputationEvent>,
  options: { initial?: ReputationState; params?: ReputationParams } = {},
): ReputationState {
  let state = options.initial ?? INITIAL_REPUTATION;
  for (const event of events) state = updateReputation(state, event, options.params);
  return state;
}

/** The score in [0, 1]: integrity × weighted quality. */
export function reputationScore(state: ReputationState, params: ReputationParams = DEFAULT_REPUTATION_PARAMS): number {
  assertState(state);
  const { weights } = params;
  const total = weights.success + weights.latency + weights.uptime;
  if (!(total > 0) || weights.success < 0 || weights.latency < 0 || weights.uptime < 0)
    throw new RangeError("reputation weights must be ≥ 0 with a positive sum");
  const quality = (weights.success * state.success + weights.latency * state.latency + weights.uptime * state.uptime) / total;
  return clamp01(state.integrity * quality);
}

function ewma(previous: number, observation: number, alpha: number): number {
  if (!(alpha > 0 && alpha <= 1)) throw new RangeError(`alpha must be in (0, 1], got ${alpha}`);
  return clamp01(previous + alpha * (observation - previous));
}

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}

function assertState(state: ReputationState): void {
  for (const key of ["success", "latency", "uptime", "integrity"] as const) {
    const value = state[key];
    if (!(value >= 0 && value <= 1)) throw new RangeError(`reputation ${key} must be in [0, 1], got ${value}`);
  }
}
