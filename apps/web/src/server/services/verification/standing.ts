import type { Db } from "@proofgrid/db/db-types";
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
  const inserted = await tx.$queryRaw<{ id: bigint }[]>`
    INSERT INTO node_verdicts (node_id, check_id, role, verdict, reason)
    VALUES (${opts.nodeId}::uuid, ${opts.checkId}::uuid, ${opts.role}, ${opts.verdict}::"CheckVerdict", ${opts.reason.slice(0, 200)})
    ON CONFLICT (node_id, check_id, role) DO NOTHING RETURNING id`;
  if (inserted.length === 0) return null;

  const nodes = await tx.$queryRaw<{ reputation: ReputationState | null; status: string; quarantine_reason: string | null }[]>`
    SELECT reputation, status::text AS status, quarantine_reason FROM nodes WHERE id = ${opts.nodeId}::uuid FOR UPDATE`;
  const node = nodes[0];
  if (!node) return null;
  const reputation = updateReputation(node.reputation ?? INITIAL_REPUTATION, { kind: "check", passed: opts.verdict === "pass" });

  const recent = await tx.$queryRaw<{ verdict: CheckVerdict }[]>`
    SELECT verdict::text AS verdict FROM node_verdicts WHERE node_id = ${opts.nodeId}::uuid AND verdict <> 'inconclusive'
    ORDER BY id DESC LIMIT ${DEFAULT_PENALTY_LADDER.window}`;
  const decision = penaltyForChecks({ verdicts: recent.map((r) => r.verdict).reverse() });

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
  await tx.$executeRaw`
    UPDATE nodes SET reputation = ${JSON.stringify(reputation)}::jsonb, reputation_score = ${reputationScore(reputation)},
      priority_factor = ${sticky ? 0 : decision.priorityFactor}, status = ${status}::"NodeStatus", quarantine_reason = ${reason},
      last_checked_at = now()
    WHERE id = ${opts.nodeId}::uuid`;
  if (status !== node.status || decision.action !== "none")
    logger.warn({ nodeId: opts.nodeId, role: opts.role, verdict: opts.verdict, action: decision.action, status }, "node standing changed");
  return decision;
}
