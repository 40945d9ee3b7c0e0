import { z } from "zod";

// Payout knobs (web and coordinator). Amounts are base units (1 token = 10^6), the same
// units on chain: the token has 6 decimals.
const units = (max: bigint) =>
  z
    .string()
    .regex(/^[0-9]{1,19}$/)
    .transform((s) => BigInt(s))
    .refine((v) => v <= max, `at most ${max}`);
export const ZPayoutEnv = z.object({
  /** The smallest withdrawal (gross, before the fee): 10 tokens. */
  PAYOUT_MIN_BASE_UNITS: units(10n ** 15n).default(10_000_000n),
  /** The largest single withdrawal: 10^6 tokens (a bound on one request, not on earnings). */
  PAYOUT_MAX_BASE_UNITS: units(10n ** 15n).default(10n ** 12n),
  /** Flat fee per withdrawal, to the protocol: pays the payout wallet's gas. 0.1 token. */
  PAYOUT_FEE_BASE_UNITS: units(10n ** 12n).default(100_000n),
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
