// Settlement of one job: its price (held from the customer) is paid out to the worker's
// provider, the checker pool and the protocol in one balanced ledger transfer, so the parts
// must be integers that sum to exactly the price.

export interface RewardSplitBps {
  worker: number;
  checkers: number;
  protocol: number;
}

export const BPS_DENOMINATOR = 10_000;

/**
 * Worker 85 %: the one who spent the compute. Checker pool 10 %: pays for re-executing a
 * sampled share of jobs (2–50 %, see sampling-policy) and for canaries, so checking is
 * worth a checker's GPU time. Protocol 5 %: fees, treasury and the Stripe margin.
 */
export const DEFAULT_REWARD_SPLIT: RewardSplitBps = { worker: 8_500, checkers: 1_000, protocol: 500 };

/** Postgres bigint: every ledger amount must fit it. */
export const MAX_LEDGER_AMOUNT = 2n ** 63n - 1n;

export interface RewardSplit {
  worker: bigint;
  checkers: bigint;
  protocol: bigint;
}

/**
 * Splits a job's price among the worker's provider, the checker pool and the protocol.
 * Checkers and protocol get their share rounded down; the remainder goes to the worker,
 * so the parts are never negative and always sum exactly to the price.
 */
export function splitReward(price: bigint, bps: RewardSplitBps = DEFAULT_REWARD_SPLIT): RewardSplit {
  if (typeof price !== "bigint" || price < 0n || price > MAX_LEDGER_AMOUNT) {
    throw new RangeError(`price must be a bigint in [0, 2^63 − 1], got ${String(price)}`);
  }
  for (const [name, value] of Object.entries(bps)) {
    if (!Number.isInteger(value) || value < 0 || value > BPS_DENOMINATOR)
      throw new RangeError(`${name} basis points must be an integer in [0, 10000], got ${value}`);
  }
  if (bps.worker + bps.checkers + bps.protocol !== BPS_DENOMINATOR) {
    throw new RangeError(`basis points must sum to 10000, got ${bps.worker + bps.checkers + bps.protocol}`);
  }
  const denominator = BigInt(BPS_DENOMINATOR);
  const checkers = (price * BigInt(bps.checkers)) / denominator;
  const protocol = (price * BigInt(bps.protocol)) / denominator;
  return { worker: price - checkers - protocol, checkers, protocol };
}
