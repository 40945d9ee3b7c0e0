import { minimumSlash, splitReward } from "@proofgrid/por";
import { getPorConfig } from "./por-config.ts";

/**
 * The deterrent slash for one proven fraud, sized by packages/por so cheating loses money on
 * average: the job's payout to the worker is the gain g, and at the re-execution floor p the
 * slash must be at least g·(1 − p)/p; we take POR_SLASH_SAFETY times that, and at least the
 * job's price. A fraud case (fraud.ts) takes this or what the refunds need, whichever is
 * more, capped by what the node has bonded and unbonding.
 */
export function slashAmountFor(price: bigint): bigint {
  const { sampling, slashSafety } = getPorConfig();
  const gain = Number(splitReward(price).worker);
  const minimum = minimumSlash({ gainPerJob: gain, recheckRate: sampling.reexecution.floor });
  const sized = BigInt(Math.ceil(minimum * slashSafety));
  return sized > price ? sized : price;
}
