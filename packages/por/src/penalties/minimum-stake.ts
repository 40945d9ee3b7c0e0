import { BPS_DENOMINATOR } from "../rewards/reward-split.ts";

// The stake a provider locks per worker must be able to pay the slash for the work the worker
// could fake before a check catches it. That work grows with capability: a worker doing
// C CU/h delivers C·price·(exposure/60) base units of jobs in `exposureMinutes`. Applying the
// minimum-slash rule (penalties/slashing: gain·(1 − p)/p) to that batch at the re-execution
// floor p gives
//
//   minimumStake(C) = baseStake + ⌈C · pricePerCu · exposureMinutes/60 · (1 − p)/p⌉
//
// The base stake makes a new identity cost something even for a tiny worker (Sybil cost).
// Integer arithmetic in bigint: stakes are ledger amounts.

export interface StakePolicy {
  /** Floor for any worker, base units. */
  baseStake: bigint;
  /** Base units per CU (the platform's PRICE_PER_CU_BASE_UNITS). */
  pricePerCuBaseUnits: bigint;
  /** Re-execution floor in basis points (sampling-policy's floor, 2 % = 200). */
  recheckRateBps: number;
  /** How long faked work can go unnoticed: one epoch, the standby-check period. */
  exposureMinutes: number;
}

/** 100 tokens base; price 0.05 token/CU (the web app's default PRICE_PER_CU_BASE_UNITS); 2 % floor;
 * 15 minutes. A reference-speed worker (3600 CU/h) then stakes 100 + 2 205 = 2 305 tokens. */
export const DEFAULT_STAKE_POLICY: StakePolicy = Object.freeze({
  baseStake: 100_000_000n,
  pricePerCuBaseUnits: 50_000n,
  recheckRateBps: 200,
  exposureMinutes: 15,
});

/** Minimum stake in base units for a worker of capability `cuPerHour` (non-decreasing in it). */
export function minimumStake(cuPerHour: number, policy: StakePolicy = DEFAULT_STAKE_POLICY): bigint {
  if (!(Number.isSafeInteger(cuPerHour) && cuPerHour >= 0))
    throw new RangeError(`cuPerHour must be a non-negative integer, got ${cuPerHour}`);
  const { baseStake, pricePerCuBaseUnits: pricePerCu, recheckRateBps: bps, exposureMinutes } = policy;
  if (baseStake < 0n || pricePerCu < 0n) throw new RangeError("baseStake and pricePerCu must be ≥ 0");
  if (!(Number.isInteger(bps) && bps > 0 && bps <= BPS_DENOMINATOR))
    throw new RangeError(`recheckRateBps must be an integer in (0, 10000], got ${bps}`);
  if (!(Number.isSafeInteger(exposureMinutes) && exposureMinutes >= 0))
    throw new RangeError(`exposureMinutes must be a non-negative integer, got ${exposureMinutes}`);
  const numerator = BigInt(cuPerHour) * pricePerCu * BigInt(exposureMinutes) * BigInt(BPS_DENOMINATOR - bps);
  const denominator = 60n * BigInt(bps);
  return baseStake + (numerator + denominator - 1n) / denominator;
}
