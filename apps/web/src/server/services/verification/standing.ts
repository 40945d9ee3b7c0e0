import type { Db } from "@proofgrid/db/db-types";
import { lockNodeStanding, updateNodeStanding } from "@proofgrid/db/standing/node-standing";
import { insertNodeVerdict, loadRecentVerdicts } from "@proofgrid/db/standing/node-verdicts";
import {
  type CheckVerdict,
  DEFAULT_PENALTY_LADDER,
  INITIAL_REPUTATION,
  type PenaltyDecision,
  penaltyForChecks,
  type ReputationState,
  reputationScore,
  updateReputation,
} from "@proofgrid/por";
import { logger } from "../../logger.ts";

export type VerdictRole = "worker" | "checker";

/**
 * Records one verdict about a node and applies what packages/por says it means: the
 * check event folds into the node's reputation, and the penalty ladder over its latest
 * verdicts sets its allocation multiplier and quarantine. A verdict is recorded once per
 * (node, check, role), so a retried report changes nothing. Runs in the caller's
 * transaction.
 */
export async function recordNodeVerdict(
  tx: Db,
  opts: { nodeId: string; checkId: string; role: VerdictRole; verdict: CheckVerdict; reason: string },
): Promise<PenaltyDecision | null> {
  if (!(await insertNodeVerdict(tx, opts))) return null;

  const node = await lockNodeStanding<ReputationState>(tx, { nodeId: opts.nodeId });
  if (!node) return null;
  const reputation = updateReputation(node.reputation ?? INITIAL_REPUTATION, { kind: "check", passed: opts.verdict === "pass" });

  const recent = await loadRecentVerdicts(tx, { nodeId: opts.nodeId, limit: DEFAULT_PENALTY_LADDER.window });
  const decision = penaltyForChecks({ verdicts: recent.reverse() });

  // Fraud sticks until an admin reviews the node; failures lift as passes push them out of
  // the window. A node refused at registration stays out too.
  const sticky = node.quarantine_reason === "fraud" || node.quarantine_reason === "refused at registration";
  let status = node.status;
  let reason = node.quarantine_reason;
  if (decision.action === "slash") {
    status = "quarantined";
    reason = "fraud";
  } else if (decision.action === "quarantine" && !sticky) {
    status = "quarantined";
    reason = "failed checks";
  } else if (!sticky && node.status === "quarantined") {
    status = "online";
    reason = null;
  }
  await updateNodeStanding(tx, {
    nodeId: opts.nodeId,
    reputation,
    reputationScore: reputationScore(reputation),
    priorityFactor: sticky ? 0 : decision.priorityFactor,
    status,
    quarantineReason: reason,
  });
  if (status !== node.status || decision.action !== "none")
    logger.warn({ nodeId: opts.nodeId, role: opts.role, verdict: opts.verdict, action: decision.action, status }, "node standing changed");
  return decision;
}
