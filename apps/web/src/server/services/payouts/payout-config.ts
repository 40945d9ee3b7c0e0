import { type ChainConfig, readChainId } from "@proofgrid/chain";
import { type Env, getChainConfig, getEnv } from "../../env.ts";
import { AppError } from "../../errors.ts";
import { feeFor } from "./fee.ts";

// Payout knobs (web and coordinator; config/payout-env.ts). Amounts are base units
// (1 token = 10^6), the same units on chain: the token has 6 decimals.

export interface PayoutConfig {
  minAmount: bigint;
  maxAmount: bigint;
  fee: bigint;
  feeBps: number;
  confirmations: number;
  intervalMs: number;
  rebroadcastMs: number;
  batch: number;
  maxOpenPerOrg: number;
  challengeTtlMs: number;
  challengesPerHour: number;
  nonceTakenGraceMs: number;
  queuedMaxAgeMs: number;
  gasMultiplier: number;
  /** Null when no chain is configured: withdrawals are refused (503), addresses can still be set. */
  chain: ChainConfig | null;
}

let cached: { env: Env; config: PayoutConfig } | undefined;

export function getPayoutConfig(): PayoutConfig {
  const e = getEnv();
  if (cached?.env === e) return cached.config;
  const config: PayoutConfig = {
    minAmount: e.PAYOUT_MIN_BASE_UNITS,
    maxAmount: e.PAYOUT_MAX_BASE_UNITS,
    fee: e.PAYOUT_FEE_BASE_UNITS,
    feeBps: e.PAYOUT_FEE_BPS,
    confirmations: e.PAYOUT_CONFIRMATIONS,
    intervalMs: e.PAYOUT_INTERVAL_MS,
    rebroadcastMs: e.PAYOUT_REBROADCAST_MS,
    batch: e.PAYOUT_BATCH,
    maxOpenPerOrg: e.PAYOUT_MAX_OPEN_PER_ORG,
    challengeTtlMs: e.PAYOUT_CHALLENGE_TTL_MS,
    challengesPerHour: e.PAYOUT_CHALLENGES_PER_HOUR,
    nonceTakenGraceMs: e.PAYOUT_NONCE_TAKEN_GRACE_MS,
    queuedMaxAgeMs: e.PAYOUT_QUEUED_MAX_AGE_MS,
    gasMultiplier: e.PAYOUT_GAS_MULTIPLIER,
    chain: getChainConfig(),
  };
  if (feeFor(config.minAmount, config) >= config.minAmount)
    throw new Error("invalid payout configuration: PAYOUT_MIN_BASE_UNITS must exceed its own fee");
  if (config.maxAmount < config.minAmount)
    throw new Error("invalid payout configuration: PAYOUT_MAX_BASE_UNITS is below PAYOUT_MIN_BASE_UNITS");
  cached = { env: e, config };
  return config;
}

/** The fee on a gross amount: flat plus basis points, rounded up (never below what is configured). */
export { feeFor };

export interface PayoutChain extends ChainConfig {
  chainId: number;
}

let chainIdCache: { rpcUrl: string; chainId: number } | undefined;

/** The configured chain with its id (CHAIN_ID, else asked of the RPC once), or UNAVAILABLE. */
export async function requirePayoutChain(config: PayoutConfig = getPayoutConfig()): Promise<PayoutChain> {
  const chain = config.chain;
  if (!chain) throw new AppError("UNAVAILABLE", "payouts are not configured on this platform (no CHAIN_RPC_URL and TOKEN_ADDRESS)");
  if (chain.chainId !== null) return { ...chain, chainId: chain.chainId };
  if (chainIdCache?.rpcUrl !== chain.rpcUrl) {
    try {
      chainIdCache = { rpcUrl: chain.rpcUrl, chainId: await readChainId(chain.rpcUrl, null, chain.rpcTimeoutMs) };
    } catch {
      throw new AppError("UNAVAILABLE", "the payout chain cannot be reached; try again in a moment");
    }
  }
  return { ...chain, chainId: chainIdCache.chainId };
}
