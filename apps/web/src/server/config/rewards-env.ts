import { z } from "zod";

// Epoch rewards (issue 13 item 3, the seed's reward model): each closed epoch emits a
// configured, decaying amount, split between the roles, granted to organisations, vesting
// linearly. Amounts are base units (1 token = 10^6).
const units = (max: bigint) =>
  z
    .string()
    .regex(/^[0-9]{1,19}$/)
    .transform((s) => BigInt(s))
    .refine((v) => v <= max, `at most ${max}`);
const share = z.coerce.number().min(0).max(1);
export const ZRewardsEnv = z.object({
  /** Emission of one epoch at genesis: 100 tokens. 0 turns epoch rewards off. */
  EMISSION_PER_EPOCH_BASE_UNITS: units(10n ** 15n).default(100_000_000n),
  /** Share the emission shrinks by at each decay step (compounding): 2 %. */
  EMISSION_DECAY: share.default(0.02),
  /** One decay step every this many days. */
  EMISSION_DECAY_EVERY_DAYS: z.coerce.number().min(0.0001).max(3_650).default(30),
  /** Epochs that start before this emit nothing (ISO 8601). */
  EMISSION_GENESIS: z.iso.datetime({ offset: true }).default("2026-12-01T00:00:00Z"),
  /** Shares of each epoch's emission; together at most 1 (the rest stays in the pool). */
  REWARD_SHARE_WORKERS: share.default(0.7),
  REWARD_SHARE_CHECKERS: share.default(0.2),
  REWARD_SHARE_PLATFORM: share.default(0.1),
  /** Of the workers' share, this part goes by uptime × capability, the rest by verified CU delivered. */
  REWARD_WORKER_UPTIME_WEIGHT: share.default(0.25),
  /**
   * An organisation's CU-weighted reward in an epoch is at most this multiple of the fees its
   * jobs paid in it (protocol fee and checker pool cut). At 1 or below, buying jobs from
   * yourself (or a colluding customer) to farm emissions costs at least what it earns.
   */
  REWARD_CU_CAP_OF_FEES: z.coerce.number().min(0).max(1_000).default(1),
  /** Rewards vest linearly over this many days from the end of their epoch. */
  VESTING_DAYS: z.coerce.number().min(0).max(3_650).default(180),
  /** An early claim gives up this share of what had not vested yet (back to the emission pool). */
  EARLY_CLAIM_HAIRCUT: share.default(0.5),
  /** Closed epochs without rewards yet are granted up to this far back (a coordinator that was down catches up). */
  REWARD_CATCHUP_EPOCHS: z.coerce.number().int().min(1).max(10_000).default(96),
});
