import { type ChainConfig, chainConfigFromEnv, readChainId } from "@proofgrid/chain";
import { feeFor } from "./fee.ts";
import { z } from "zod";
import { AppError } from "../../errors.ts";

// Payout knobs (web and coordinator). Amounts are base units (1 token = 10^6), the same
// units on chain: the token has 6 decimals.
const units = (max: bigint) =>
  z
    .string()
    .regex(/^[0-9]{1,19}$/)
    .transform((s) => BigInt(s))
    .refine((v) => v <= max, `at most ${max}`);
const ZPayoutEnv = z.object({
  /** The smallest withdrawal (gross, before the fee): 10 tokens. */
  PAYOUT_MIN_AMOUNT: units(10n ** 15n).default(10_000_000n),
  /** The largest single withdrawal: 10^6 tokens (a bound on one request, not on earnings). */
  PAYOUT_MAX_AMOUNT: units(10n ** 15n).default(10n ** 12n),
  /** Flat fee per withdrawal, to the protocol: pays the payout wallet's gas. 0.1 token. */
  PAYOUT_FEE: units(10n ** 12n).default(100_000n),
  /** Plus this many basis points of the amount (rounded up). */
  PAYOUT_FEE_BPS: z.coerce.number().int().min(0).max(1_000).default(0),
  /** Blocks on top of a transfer's own before it counts as paid (its own block is 1). */
  PAYOUT_CONFIRMATIONS: z.coerce.number().int().min(1).max(1_000).default(3),
  PAYOUT_INTERVAL_MS: z.coerce.number().int().min(100).max(600_000).default(2_000),
  /** An unmined transaction is sent again (the same signed bytes) after this long. */
  PAYOUT_REBROADCAST_MS: z.coerce.number().int().min(500).max(3_600_000).default(15_000),
  /** Withdrawals the loop takes per tick and per state: a bound on one tick's RPC calls. */
  PAYOUT_BATCH: z.coerce.number().int().min(1).max(500).default(25),
  /** Open (queued or signed) withdrawals an organisation may have at once. */
  PAYOUT_MAX_OPEN_PER_ORG: z.coerce.number().int().min(1).max(1_000).default(5),
  /** How long a signing challenge stays valid. */
  PAYOUT_CHALLENGE_TTL_MS: z.coerce.number().int().min(10_000).max(86_400_000).default(600_000),
  /** Challenges an organisation may ask for per hour. */
  PAYOUT_CHALLENGES_PER_HOUR: z.coerce.number().int().min(1).max(10_000).default(30),
  /** A withdrawal whose nonce another confirmed transaction used is returned only after the
   * condition has held this long (a lagging RPC node must not make us return a paid one). */
  PAYOUT_NONCE_TAKEN_GRACE_MS: z.coerce.number().int().min(0).max(86_400_000).default(60_000),
  /** A queued withdrawal that could not be signed this long (no gas money, RPC down) is returned. */
  PAYOUT_QUEUED_MAX_AGE_MS: z.coerce
    .number()
    .int()
    .min(60_000)
    .max(30 * 86_400_000)
    .default(86_400_000),
  /** Gas limit = estimate × this (a transfer's cost can move between estimate and mining). */
  PAYOUT_GAS_MULTIPLIER: z.coerce.number().min(1).max(5).default(1.25),
});

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

let cached: { key: string; config: PayoutConfig } | undefined;

export function getPayoutConfig(): PayoutConfig {
  // Keyed by the variables it reads: tests and benchmarks retarget a process.
  const key = JSON.stringify(
    Object.entries(process.env).filter(([k]) => k.startsWith("PAYOUT_") || k.startsWith("CHAIN_") || k === "TOKEN_ADDRESS"),
  );
  if (cached?.key === key) return cached.config;
  const parsed = ZPayoutEnv.safeParse(process.env);
  if (!parsed.success) throw new Error(`invalid payout configuration: ${z.prettifyError(parsed.error)}`);
  const e = parsed.data;
  const config: PayoutConfig = {
    minAmount: e.PAYOUT_MIN_AMOUNT,
    maxAmount: e.PAYOUT_MAX_AMOUNT,
    fee: e.PAYOUT_FEE,
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
    chain: chainConfigFromEnv(process.env),
  };
  if (feeFor(config.minAmount, config) >= config.minAmount)
    throw new Error("invalid payout configuration: PAYOUT_MIN_AMOUNT must exceed its own fee");
  if (config.maxAmount < config.minAmount) throw new Error("invalid payout configuration: PAYOUT_MAX_AMOUNT is below PAYOUT_MIN_AMOUNT");
  cached = { key, config };
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
