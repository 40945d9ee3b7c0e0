import type { Db } from "@proofgrid/db/db-types";
import { orgAccountCode, postTransfer, SYSTEM_ACCOUNTS } from "@proofgrid/db/ledger";
import { minimumSlash, splitReward } from "@proofgrid/por";
import { logger } from "../../logger.ts";
import { epochOf, getPorConfig } from "./por-config.ts";
import { minBig, nodeStakeCode, nodeUnbondingCode } from "./stake.ts";

export interface SlashedJob {
  id: string;
  orgId: string;
  price: bigint;
}

/**
 * The slash for one proven fraud, sized by packages/por so cheating loses money on average:
 * the job's payout to the worker is the gain g, and at the re-execution floor p the slash
 * must be at least g·(1 − p)/p; we take POR_SLASH_SAFETY times that, and at least the job's
 * price (the refund it pays for). Capped by what the node has bonded and unbonding.
 */
export function slashAmountFor(price: bigint): bigint {
  const { sampling, slashSafety } = getPorConfig();
  const gain = Number(splitReward(price).worker);
  const minimum = minimumSlash({ gainPerJob: gain, recheckRate: sampling.reexecution.floor });
  const sized = BigInt(Math.ceil(minimum * slashSafety));
  return sized > price ? sized : price;
}

/**
 * Slashes a node for a fraud verdict, once per check (`slash:<check>`), in the caller's
 * transaction. The tokens leave the node's stake (then its unbonding balance) and go first
 * to the customer who paid for the wrong result — a refund of the job's price — and the
 * rest to the treasury. If the node's stake cannot cover the refund, the emission pool
 * makes the customer whole: a customer never loses because a provider under-staked.
 */
export async function slashForFraud(tx: Db, opts: { nodeId: string; checkId: string; job: SlashedJob | null }) {
  const exists = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM slashes WHERE check_id = ${opts.checkId}::uuid`;
  if (exists.length > 0) return null;
  const price = opts.job?.price ?? 0n;
  const target = slashAmountFor(price > 0n ? price : 1n);
  const balances = await tx.$queryRaw<{ code: string; balance: bigint }[]>`
    SELECT code, balance FROM ledger_accounts WHERE code IN (${nodeStakeCode(opts.nodeId)}, ${nodeUnbondingCode(opts.nodeId)}) FOR UPDATE`;
  const bal = new Map(balances.map((b) => [b.code, BigInt(b.balance)]));
  const fromStake = minBig(target, bal.get(nodeStakeCode(opts.nodeId)) ?? 0n);
  const fromUnbonding = minBig(target - fromStake, bal.get(nodeUnbondingCode(opts.nodeId)) ?? 0n);
  const slashed = fromStake + fromUnbonding;
  const refund = opts.job ? price : 0n;
  const refundFromSlash = minBig(refund, slashed);
  const shortfall = refund - refundFromSlash;
  const legs = [
    { code: nodeStakeCode(opts.nodeId), amount: -fromStake },
    { code: nodeUnbondingCode(opts.nodeId), amount: -fromUnbonding },
    { code: SYSTEM_ACCOUNTS.emissionPool.code, amount: -shortfall },
    ...(opts.job ? [{ code: orgAccountCode(opts.job.orgId, "available"), amount: refund }] : []),
    { code: SYSTEM_ACCOUNTS.treasury.code, amount: slashed - refundFromSlash },
  ].filter((l) => l.amount !== 0n);
  if (legs.length >= 2) {
    await postTransfer(tx, {
      idempotencyKey: `slash:${opts.checkId}`,
      kind: "slash",
      jobId: opts.job?.id ?? null,
      memo: `fraud by node ${opts.nodeId}`,
      legs,
    });
  }
  await tx.$executeRaw`
    INSERT INTO slashes (id, node_id, check_id, job_id, amount, refunded, epoch)
    VALUES (gen_random_uuid(), ${opts.nodeId}::uuid, ${opts.checkId}::uuid, ${opts.job?.id ?? null}::uuid, ${slashed}, ${refund}, ${epochOf(Date.now())})`;
  logger.warn({ nodeId: opts.nodeId, checkId: opts.checkId, slashed: slashed.toString(), refund: refund.toString() }, "node slashed");
  return { slashed, refund };
}
