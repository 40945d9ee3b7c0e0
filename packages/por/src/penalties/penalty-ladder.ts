// What a worker's recent check results do to it, in rising severity:
//
//   none → lower_priority → quarantine → slash
//
// - one failed check in the window lowers its priority: the indexer multiplies its
//   allocation weight by `priorityFactor` (halved per failure), so it gets fewer jobs and
//   more of them are checked while the doubt lasts;
// - `quarantineAfter` failures in the window quarantine it: no customer jobs, only
//   challenges, until passing checks push the failures out of the window;
// - a fraud verdict (a mismatch confirmed by a third executor, or a canary with a known
//   answer got wrong beyond tolerance) slashes the stake and quarantines it.
//
// Failures that are not proven fraud are never slashed: honest hardware faults and timeouts
// happen, and a slash for them would drive honest providers away.

export type CheckVerdict = "pass" | "fail" | "fraud";
export type PenaltyAction = "none" | "lower_priority" | "quarantine" | "slash";

export interface PenaltyLadderPolicy {
  /** How many of the most recent checks count. */
  window: number;
  /** Failures in the window that quarantine the worker. */
  quarantineAfter: number;
}

/** 3 failures in the last 20 checks: one or two are bad luck at an honest failure rate of a
 * few percent; three in twenty are not. */
export const DEFAULT_PENALTY_LADDER: PenaltyLadderPolicy = Object.freeze({ window: 20, quarantineAfter: 3 });

export interface PenaltyDecision {
  action: PenaltyAction;
  failuresInWindow: number;
  fraudInWindow: number;
  /** Multiplier on the worker's allocation weight: 1, ½ per failure, 0 when quarantined or slashed. */
  priorityFactor: number;
}

/** The worker's standing from its check verdicts, oldest first. A slash must be applied once
 * per fraud verdict (key it by the check id): the decision says `slash` for as long as that
 * verdict is in the window, so the worker stays out while it is. */
export function penaltyForChecks(options: { verdicts: readonly CheckVerdict[]; policy?: PenaltyLadderPolicy }): PenaltyDecision {
  const { window, quarantineAfter } = options.policy ?? DEFAULT_PENALTY_LADDER;
  if (!(Number.isInteger(window) && window >= 1 && window <= 10_000))
    throw new RangeError(`window must be an integer in [1, 10000], got ${window}`);
  if (!(Number.isInteger(quarantineAfter) && quarantineAfter >= 1))
    throw new RangeError(`quarantineAfter must be a positive integer, got ${quarantineAfter}`);
  const recent = options.verdicts.slice(-window);
  let failuresInWindow = 0;
  let fraudInWindow = 0;
  for (const verdict of recent) {
    if (verdict === "fraud") fraudInWindow++;
    else if (verdict === "fail") failuresInWindow++;
    else if (verdict !== "pass") throw new RangeError(`unknown check verdict ${String(verdict)}`);
  }
  if (fraudInWindow > 0) return { action: "slash", failuresInWindow, fraudInWindow, priorityFactor: 0 };
  if (failuresInWindow >= quarantineAfter) return { action: "quarantine", failuresInWindow, fraudInWindow, priorityFactor: 0 };
  if (failuresInWindow > 0) return { action: "lower_priority", failuresInWindow, fraudInWindow, priorityFactor: 0.5 ** failuresInWindow };
  return { action: "none", failuresInWindow, fraudInWindow, priorityFactor: 1 };
}

const SEVERITY: Record<PenaltyAction, number> = { none: 0, lower_priority: 1, quarantine: 2, slash: 3 };

/** Orders actions by severity (for "never less severe" checks and dashboards). */
export function penaltySeverity(action: PenaltyAction): number {
  return SEVERITY[action];
}
