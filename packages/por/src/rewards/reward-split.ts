export interface RewardSplitBps {
  worker: number;
  checkers: number;
  protocol: number;
}

/** Worker 85 %, checker pool 10 % (pays for re-execution), protocol 5 %. */
export const DEFAULT_REWARD_SPLIT: RewardSplitBps = { worker: 8_500, checkers: 1_000, protocol: 500 };

export interface RewardSplit {
  worker: bigint;
  checkers: bigint;
  protocol: bigint;
}

/**
 * Splits a job's price among the worker's provider, the checker pool and the protocol.
 * Integer arithmetic; checkers and protocol round down and the remainder goes to the
 * worker, so the parts always sum exactly to the price.
 */
export function splitReward(price: bigint, bps: RewardSplitBps = DEFAULT_REWARD_SPLIT): RewardSplit {
  if (price < 0n) throw new RangeError("price must be non-negative");
  for (const v of [bps.worker, bps.checkers, bps.protocol]) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError("basis points must be non-negative integers");
  }
  if (bps.worker + bps.checkers + bps.protocol !== 10_000) throw new RangeError("basis points must sum to 10000");
  const checkers = (price * BigInt(bps.checkers)) / 10_000n;
  const protocol = (price * BigInt(bps.protocol)) / 10_000n;
  return { worker: price - checkers - protocol, checkers, protocol };
}
