import { type Env, getEnv } from "../../env.ts";
import type { EmissionSchedule, RoleShares } from "./schedule.ts";

// Epoch rewards (issue 13 item 3, the seed's reward model): each closed epoch emits a
// configured, decaying amount, split between the roles, granted to organisations, vesting
// linearly. Amounts are base units (1 token = 10^6).

export interface RewardsConfig {
  schedule: EmissionSchedule;
  shares: RoleShares;
  /** Basis points of the workers' share paid by uptime × capability. */
  uptimeBps: bigint;
  /** Basis points of the fees an organisation's jobs paid that cap its CU-weighted reward. */
  cuCapOfFeesBps: bigint;
  vestingMs: number;
  haircutBps: bigint;
  catchupEpochs: number;
}

const bps = (x: number) => BigInt(Math.round(x * 10_000));

let cached: { env: Env; config: RewardsConfig } | undefined;

export function getRewardsConfig(): RewardsConfig {
  const e = getEnv();
  if (cached?.env === e) return cached.config;
  const shares: RoleShares = {
    workerBps: bps(e.REWARD_SHARE_WORKERS),
    checkerBps: bps(e.REWARD_SHARE_CHECKERS),
    platformBps: bps(e.REWARD_SHARE_PLATFORM),
  };
  if (shares.workerBps + shares.checkerBps + shares.platformBps > 10_000n) {
    throw new Error(
      "invalid rewards configuration: REWARD_SHARE_WORKERS + REWARD_SHARE_CHECKERS + REWARD_SHARE_PLATFORM must be at most 1",
    );
  }
  const config: RewardsConfig = {
    schedule: {
      perEpoch: e.EMISSION_PER_EPOCH_BASE_UNITS,
      decayBps: bps(e.EMISSION_DECAY),
      decayEveryMs: Math.round(e.EMISSION_DECAY_EVERY_DAYS * 86_400_000),
      genesisMs: Date.parse(e.EMISSION_GENESIS),
    },
    shares,
    uptimeBps: bps(e.REWARD_WORKER_UPTIME_WEIGHT),
    cuCapOfFeesBps: bps(e.REWARD_CU_CAP_OF_FEES),
    vestingMs: Math.round(e.VESTING_DAYS * 86_400_000),
    haircutBps: bps(e.EARLY_CLAIM_HAIRCUT),
    catchupEpochs: e.REWARD_CATCHUP_EPOCHS,
  };
  cached = { env: e, config };
  return config;
}
