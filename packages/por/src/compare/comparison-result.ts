// Every comparison answers the same three things: did the outputs agree, why not (a stable
// code a checker records as evidence and a dashboard can translate), and the numbers that
// decided it (so a verdict can be audited and the tolerances tuned from real data).

export interface ComparisonResult<Reason extends string, Metrics> {
  match: boolean;
  /** "ok" when `match`, otherwise the first rule that failed. */
  reason: Reason;
  metrics: Metrics;
}

/** Bound on the elements or items any comparison will look at: a checker compares outputs
 * the platform already size-checked; this keeps a bug from turning into a stall. */
export const MAX_COMPARE_ELEMENTS = 1 << 24;
