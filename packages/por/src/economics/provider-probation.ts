import { DEFAULT_PENALTY_LADDER, type PenaltyLadderPolicy } from "../penalties/penalty-ladder.ts";

// Reputation per provider, not only per node: a provider whose node was proven fraudulent
// cannot start clean by registering another node. Each node of a provider with a proven
// fraud starts on probation — the worst allocation the penalty ladder gives a node still in
// service (½ per failure, one failure short of quarantine: ¼), and the highest re-check rate
// (the sampling policy's cap) — until it has passed a full ladder window of checks (20) of its
// own. Its stake also counts less (economics/exposure: the stake multiplier), and the
// provider has no starter allowance.

export interface ProbationDecision {
  onProbation: boolean;
  /** Cap on the node's allocation multiplier (1 = none). */
  priorityCap: number;
  /** Re-execute at the sampling policy's cap whatever the node's reputation. */
  recheckAtCap: boolean;
}

/** The worst allocation a node keeps while not quarantined: ½^(quarantineAfter − 1). */
export function worstAllocation(policy: PenaltyLadderPolicy = DEFAULT_PENALTY_LADDER): number {
  return 0.5 ** Math.max(0, policy.quarantineAfter - 1);
}

export function providerProbation(options: {
  providerFrauds: number;
  nodePassedChecks: number;
  policy?: PenaltyLadderPolicy;
}): ProbationDecision {
  const policy = options.policy ?? DEFAULT_PENALTY_LADDER;
  if (!(Number.isInteger(options.providerFrauds) && options.providerFrauds >= 0))
    throw new RangeError("providerFrauds must be a non-negative integer");
  if (!(Number.isInteger(options.nodePassedChecks) && options.nodePassedChecks >= 0))
    throw new RangeError("nodePassedChecks must be a non-negative integer");
  const onProbation = options.providerFrauds > 0 && options.nodePassedChecks < policy.window;
  return { onProbation, priorityCap: onProbation ? worstAllocation(policy) : 1, recheckAtCap: onProbation };
}
