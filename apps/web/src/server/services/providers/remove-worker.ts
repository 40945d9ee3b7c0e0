import { countOpenNodeJobs, loadAccountBalances, lockOrgNode, markNodeRemoved } from "@proofgrid/db/nodes/node-removal";
import { sqlTransaction } from "@proofgrid/db/sql-client";
import { AppError } from "../../errors.ts";
import { logger } from "../../logger.ts";
import { formatTokens } from "../billing/tokens.ts";
import { isNodeId } from "../market/ask-price.ts";
import { invalidateLiveNetwork } from "../market/live-network.ts";
import { nodeHeldCode } from "../verification/exposure.ts";
import { nodeStakeCode, nodeUnbondingCode } from "../verification/stake.ts";

/**
 * Retires one of the organisation's workers (or checkers): its key stops working at once
 * (authenticate-node refuses it as unknown), and it leaves the portal, the API's node list
 * and placement. Refused while it still holds anything that must settle against the node
 * first — jobs in flight, bonded or unbonding stake, earnings held in their verification
 * window — and the refusal says what and how much. The row is kept, not deleted: its jobs,
 * fraud cases and ledger accounts keep pointing at it. Another organisation's node, or a
 * removed one, is a 404 like a missing one.
 */
export async function removeWorker(opts: { orgId: string; nodeId: string }): Promise<{ nodeId: string; removedAt: string }> {
  if (!isNodeId(opts.nodeId)) throw new AppError("NOT_FOUND", "worker not found");
  const removed = await sqlTransaction(async (tx) => {
    if (!(await lockOrgNode(tx, { orgId: opts.orgId, nodeId: opts.nodeId }))) throw new AppError("NOT_FOUND", "worker not found");
    const open = await countOpenNodeJobs(tx, { nodeId: opts.nodeId });
    const codes = [nodeStakeCode(opts.nodeId), nodeUnbondingCode(opts.nodeId), nodeHeldCode(opts.nodeId)];
    const balances = await loadAccountBalances(tx, { codes });
    const of = (code: string) => BigInt(balances.find((b) => b.code === code)?.balance ?? 0n);
    const blockers: string[] = [];
    if (open > 0) blockers.push(`${open} job(s) in flight (pause it and let them finish)`);
    const [bonded, unbonding, held] = codes.map(of) as [bigint, bigint, bigint];
    if (bonded > 0n) blockers.push(`${formatTokens(bonded)} tokens bonded (unbond them first)`);
    if (unbonding > 0n) blockers.push(`${formatTokens(unbonding)} tokens unbonding (wait for the unbonding period to end)`);
    if (held > 0n) blockers.push(`${formatTokens(held)} tokens of earnings held until their verification window closes`);
    if (blockers.length > 0) throw new AppError("CONFLICT", `The worker cannot be removed yet: it has ${blockers.join("; ")}.`);
    const removedAt = await markNodeRemoved(tx, { nodeId: opts.nodeId });
    // An outage that is open stays as it is; no new one starts for a node that is gone.
    return removedAt ?? new Date();
  });
  invalidateLiveNetwork();
  logger.info({ nodeId: opts.nodeId, orgId: opts.orgId }, "worker removed");
  return { nodeId: opts.nodeId, removedAt: removed.toISOString() };
}
