import { DEFAULT_EXPOSURE_POLICY, DEFAULT_SAMPLING_POLICY } from "@proofgrid/por";
import { z } from "zod";

// Proof of Render's knobs (services/verification/por-config.ts builds the policies from
// them). Defaults are the production values of packages/por; tests and `npm run bench:por`
// set their own to make rare events frequent enough to measure.
const rate = z.coerce.number().min(0).max(1);
export const ZPorEnv = z.object({
  POR_REEXEC_FLOOR: rate.default(DEFAULT_SAMPLING_POLICY.reexecution.floor),
  POR_REEXEC_CAP: rate.default(DEFAULT_SAMPLING_POLICY.reexecution.cap),
  POR_CANARY_FLOOR: rate.default(DEFAULT_SAMPLING_POLICY.canary.floor),
  POR_CANARY_CAP: rate.default(DEFAULT_SAMPLING_POLICY.canary.cap),
  POR_WARMUP_JOBS: z.coerce.number().int().min(1).max(1_000_000).default(DEFAULT_SAMPLING_POLICY.reexecution.warmupJobs),
  /** Epoch length: standby checks, stats and checker rewards (design.md: 15 minutes). */
  POR_EPOCH_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(900_000),
  /** Share of online workers given a standby check each epoch (at least one). */
  POR_STANDBY_SHARE: rate.default(0.25),
  /** Sequential challenge jobs in a registration (capability) check: the node's models in
   * turn, three rounds; the first round warms the models up and is not timed. */
  POR_REGISTRATION_JOBS: z.coerce.number().int().min(1).max(30).default(12),
  /** A registration check starts only once the worker's machine has been idle this long
   * (its heartbeats report the CPU share other processes use), never at registration. */
  POR_REGISTRATION_IDLE_MS: z.coerce.number().int().min(0).max(3_600_000).default(15_000),
  /** ... or after this long online however busy it says it is: lying only delays the check. */
  POR_REGISTRATION_MAX_WAIT_MS: z.coerce.number().int().min(0).max(86_400_000).default(600_000),
  /** A measurement under the claim is repeated at a later idle time, at least this much
   * later, before any derating; the node is derated only if both fall short. */
  POR_REMEASURE_AFTER_MS: z.coerce.number().int().min(0).max(86_400_000).default(60_000),
  /** A worker delivering less than this share of its claim is refused, not derated. */
  POR_REFUSE_BELOW: rate.default(0.25),
  /** Share of checker tasks that are planted (a known wrong result), to check the checkers. */
  POR_PLANTED_RATE: rate.default(0.05),
  /** Mean delay (exponential) before a drawn challenge is armed and timed by the worker's
   * leases (challenge-timing.ts): challenges sent right behind the burst that drew them fall
   * in busier moments than customer jobs; armed near the public feeds' delay, in a minute the
   * feeds show as busy. */
  POR_CHALLENGE_ARM_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  /** Coordinator creates challenges (registration, standby, latency probes, canaries). */
  POR_CHALLENGES: z.enum(["0", "1"]).default("1"),
  /** Leasing needs a bonded stake of at least minimumStake(capability). */
  POR_STAKE_REQUIRED: z.enum(["0", "1"]).default("1"),
  POR_UNBONDING_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(90 * 86_400_000)
    .default(7 * 86_400_000),
  /** How long a checker holds a check before it is handed to another. */
  POR_CHECK_LEASE_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(120_000),
  /** Slash on a proven fraud: this multiple of the minimum deterrent slash, at least. */
  POR_SLASH_SAFETY: z.coerce.number().min(1).max(100).default(2),
  /** Active checker licences the platform grants in all (design.md: a limited number). */
  CHECKER_LICENCE_LIMIT: z.coerce.number().int().min(1).max(100_000).default(100),
  // Economics (packages/por economics/exposure.ts says why each is what it is).
  /** k: a worker's exposure (jobs in flight + settled jobs with held earnings) ≤ k·(stake/m + allowance). */
  POR_EXPOSURE_FACTOR: z.coerce.number().min(1).max(6.6).default(1),
  /** Exposure a never-slashed provider may hold without stake, base units (5 tokens), shared by its nodes. */
  POR_STARTER_ALLOWANCE_BASE_UNITS: z.coerce
    .bigint()
    .min(0n)
    .max(10n ** 15n)
    .default(DEFAULT_EXPOSURE_POLICY.starterAllowance),
  /** Each proven fraud multiplies the stake a provider needs for the same exposure by this (at most 16×). */
  POR_SLASHED_STAKE_MULTIPLIER: z.coerce.number().int().min(1).max(16).default(DEFAULT_EXPOSURE_POLICY.slashedStakeMultiplierBase),
  /** A settled job's payout is held this long (then released if no fraud verdict came). */
  POR_VERIFICATION_WINDOW_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(30 * 86_400_000)
    .default(900_000),
  /** A dispute no independent checker has settled by then is re-executed by the platform itself. */
  POR_DISPUTE_DEADLINE_MS: z.coerce.number().int().min(0).max(86_400_000).default(300_000),
  /** A re-execution check no checker has done by then is re-executed by the platform too. */
  POR_CHECK_DEADLINE_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(7 * 86_400_000)
    .default(3_600_000),
  /** An audit re-execution not done by then is refunded (as far as the fraud's pot goes). */
  POR_AUDIT_DEADLINE_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(7 * 86_400_000)
    .default(3_600_000),
  /** At most this many earlier results are audited after one fraud (the newest first). */
  POR_AUDIT_MAX_JOBS: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  /** The coordinator runs the executor of last resort (platform re-execution). */
  POR_LAST_RESORT: z.enum(["0", "1"]).default("1"),
});
