import { createHmac } from "node:crypto";
import {
  checkExposurePolicy,
  DEFAULT_EXPOSURE_POLICY,
  DEFAULT_STAKE_POLICY,
  type ExposurePolicy,
  type SamplingPolicy,
  type StakePolicy,
} from "@proofgrid/por";
import { type Env, getEnv } from "../../env.ts";
import { getPlatformKey } from "../nodes/platform-key.ts";

// Proof of Render's policies, built from the configuration's POR_ variables
// (config/por-env.ts) for the web app (sampling, check leases, stakes) and the coordinator
// (epochs, challenges).

export interface PorConfig {
  sampling: SamplingPolicy;
  stake: StakePolicy;
  epochMs: number;
  standbyShare: number;
  registrationJobs: number;
  registrationIdleMs: number;
  registrationMaxWaitMs: number;
  remeasureAfterMs: number;
  refuseBelow: number;
  plantedRate: number;
  challenges: boolean;
  challengeArmMs: number;
  stakeRequired: boolean;
  unbondingMs: number;
  checkLeaseMs: number;
  slashSafety: number;
  licenceLimit: number;
  exposure: ExposurePolicy;
  verificationWindowMs: number;
  disputeDeadlineMs: number;
  checkDeadlineMs: number;
  auditDeadlineMs: number;
  auditMaxJobs: number;
  lastResort: boolean;
}

let cached: { env: Env; config: PorConfig } | undefined;

export function getPorConfig(): PorConfig {
  const e = getEnv();
  if (cached?.env === e) return cached.config;
  if (!(e.POR_REEXEC_FLOOR > 0 && e.POR_REEXEC_FLOOR <= e.POR_REEXEC_CAP))
    throw new Error("PoR: need 0 < POR_REEXEC_FLOOR ≤ POR_REEXEC_CAP");
  if (!(e.POR_CANARY_FLOOR > 0 && e.POR_CANARY_FLOOR <= e.POR_CANARY_CAP))
    throw new Error("PoR: need 0 < POR_CANARY_FLOOR ≤ POR_CANARY_CAP");
  const config: PorConfig = {
    sampling: {
      reexecution: { floor: e.POR_REEXEC_FLOOR, cap: e.POR_REEXEC_CAP, warmupJobs: e.POR_WARMUP_JOBS },
      canary: { floor: e.POR_CANARY_FLOOR, cap: e.POR_CANARY_CAP, warmupJobs: e.POR_WARMUP_JOBS },
    },
    stake: {
      ...DEFAULT_STAKE_POLICY,
      pricePerCuBaseUnits: BigInt(e.PRICE_PER_CU_BASE_UNITS),
      recheckRateBps: Math.max(1, Math.round(e.POR_REEXEC_FLOOR * 10_000)),
      exposureMinutes: Math.max(1, Math.round(e.POR_EPOCH_MS / 60_000)),
    },
    epochMs: e.POR_EPOCH_MS,
    standbyShare: e.POR_STANDBY_SHARE,
    registrationJobs: e.POR_REGISTRATION_JOBS,
    registrationIdleMs: e.POR_REGISTRATION_IDLE_MS,
    registrationMaxWaitMs: e.POR_REGISTRATION_MAX_WAIT_MS,
    remeasureAfterMs: e.POR_REMEASURE_AFTER_MS,
    refuseBelow: e.POR_REFUSE_BELOW,
    plantedRate: e.POR_PLANTED_RATE,
    challenges: e.POR_CHALLENGES === "1",
    challengeArmMs: e.POR_CHALLENGE_ARM_MS,
    stakeRequired: e.POR_STAKE_REQUIRED === "1",
    unbondingMs: e.POR_UNBONDING_MS,
    checkLeaseMs: e.POR_CHECK_LEASE_MS,
    slashSafety: e.POR_SLASH_SAFETY,
    licenceLimit: e.CHECKER_LICENCE_LIMIT,
    exposure: {
      ...DEFAULT_EXPOSURE_POLICY,
      factorBps: Math.round(e.POR_EXPOSURE_FACTOR * 10_000),
      starterAllowance: e.POR_STARTER_ALLOWANCE_BASE_UNITS,
      slashedStakeMultiplierBase: e.POR_SLASHED_STAKE_MULTIPLIER,
    },
    verificationWindowMs: e.POR_VERIFICATION_WINDOW_MS,
    disputeDeadlineMs: e.POR_DISPUTE_DEADLINE_MS,
    checkDeadlineMs: e.POR_CHECK_DEADLINE_MS,
    auditDeadlineMs: e.POR_AUDIT_DEADLINE_MS,
    auditMaxJobs: e.POR_AUDIT_MAX_JOBS,
    lastResort: e.POR_LAST_RESORT === "1",
  };
  checkExposurePolicy(config.exposure);
  cached = { env: e, config };
  return config;
}

/** The epoch a moment falls in: epochs are numbered from the Unix epoch. */
export function epochOf(at: Date | number, epochMs = getPorConfig().epochMs): number {
  return Math.floor((typeof at === "number" ? at : at.getTime()) / epochMs);
}

/**
 * The sampling secret: derived from the platform's signing key, so every replica agrees
 * and nobody outside the platform can predict which job is re-executed.
 */
export function samplingSecret(): Buffer {
  return createHmac("sha256", Buffer.from(getPlatformKey().privateKey, "base64url")).update("proofgrid-sampling-v1").digest();
}

/** Challenge seeds come from the same secret with a per-purpose label (por's seed rules). */
export function challengeSecret(): Buffer {
  return createHmac("sha256", Buffer.from(getPlatformKey().privateKey, "base64url")).update("proofgrid-challenges-v1").digest();
}
