import { countPassedChecks, sumSettlementFees, sumUptimeWeights, sumVerifiedCu } from "@proofgrid/db/rewards/epoch-weights";
import {
  listRewardEmissions,
  listUngrantedEpochs,
  loadClosedEpoch,
  loadRewardEmission,
  saveRewardEmission,
  takeRewardEmission,
} from "@proofgrid/db/rewards/reward-emissions";
import { insertRewardGrants, type NewGrant } from "@proofgrid/db/rewards/reward-grants";
import { sql, sqlTransaction } from "@proofgrid/db/sql-client";
import { logger } from "../../logger.ts";
import { PROTOCOL_ORG_ID } from "../verification/protocol-org.ts";
import { getRewardsConfig, type RewardsConfig } from "./rewards-config.ts";
import { BPS, emissionAt, splitByRole, splitProportional } from "./schedule.ts";

export interface EpochEmission {
  epoch: number;
  scheduled: bigint;
  granted: bigint;
  workers: bigint;
  checkers: bigint;
  platform: bigint;
  /** False when the epoch had already been granted (nothing was done again). */
  created: boolean;
}

/**
 * Grants a closed epoch's emission (issue 13 item 3): the schedule's amount for the epoch,
 * split by role — worker nodes' organisations by verified CU delivered (and, for a
 * configured part of it, uptime × accepted capability), checker operators by checks done
 * (not failed as checkers), the platform (the indexer) its share — as vesting grants that
 * start vesting at the epoch's end. The tokens stay in the emission pool until claimed.
 *
 * Idempotent: the epoch's reward_emissions row is taken first (a second call, or a second
 * coordinator, waits on it and then finds it), all in one transaction. Returns null when
 * the epoch has not been closed (no `epochs` row).
 */
export async function distributeEpochRewards(epoch: number, config: RewardsConfig = getRewardsConfig()): Promise<EpochEmission | null> {
  return sqlTransaction(async (tx) => {
    const e = await loadClosedEpoch(tx, { epoch });
    if (!e) return null;
    const scheduled = emissionAt(config.schedule, e.starts_at.getTime());
    if (!(await takeRewardEmission(tx, { epoch, scheduled }))) {
      const r = await loadRewardEmission(tx, { epoch });
      if (!r) throw new Error(`reward emission of epoch ${epoch} vanished`);
      return {
        epoch,
        scheduled: BigInt(r.scheduled),
        granted: BigInt(r.granted),
        workers: BigInt(r.workers),
        checkers: BigInt(r.checkers),
        platform: BigInt(r.platform),
        created: false,
      };
    }
    const byRole = splitByRole(scheduled, config.shares);
    const vestStart = e.ends_at;
    const vestEnd = new Date(e.ends_at.getTime() + config.vestingMs);

    const epochSpan = { startsAt: e.starts_at, endsAt: e.ends_at };
    // Workers: verified CU delivered (succeeded customer jobs and re-runs not proven wrong)...
    const cuRows = await sumVerifiedCu(tx, epochSpan);
    // ... and uptime: admitted workers heard from since the epoch began, their time up in it
    // (less measured outages) times their accepted capability.
    const upRows = await sumUptimeWeights(tx, epochSpan);
    // ... capped by the fees those jobs paid (protocol fee and checker pool cut of their
    // settlements): jobs bought from yourself, or from a colluding customer, move their price
    // in a circle and cost exactly these fees, so farming emissions with them cannot pay.
    const feeRows = await sumSettlementFees(tx, epochSpan);
    const feeCap = new Map(feeRows.map((r) => [r.org_id, (BigInt(r.fees) * config.cuCapOfFeesBps) / BPS]));
    const uptimePart = (byRole.worker * config.uptimeBps) / BPS;
    const cuPart = byRole.worker - uptimePart;
    const cuWeights = new Map(cuRows.map((r) => [r.org_id, BigInt(r.milli_cu)]));
    const workerGrants = new Map<string, { amount: bigint; basis: bigint }>();
    // What a cap holds back stays in the pool (handing it to the others would lift their caps).
    for (const [org, share] of splitProportional(cuPart, cuWeights)) {
      const amount = share < (feeCap.get(org) ?? 0n) ? share : (feeCap.get(org) ?? 0n);
      workerGrants.set(org, { amount, basis: cuWeights.get(org) ?? 0n });
    }
    for (const [org, amount] of splitProportional(uptimePart, new Map(upRows.map((r) => [r.org_id, BigInt(r.weight)])))) {
      const g = workerGrants.get(org);
      workerGrants.set(org, { amount: (g?.amount ?? 0n) + amount, basis: g?.basis ?? 0n });
    }

    // Checkers: checks done in the epoch, those their checker was not caught failing (the
    // same count the checker pool's payout uses).
    const checkRows = await countPassedChecks(tx, epochSpan);
    const checkWeights = new Map(checkRows.map((r) => [r.org_id, BigInt(r.n)]));
    const checkerGrants = splitProportional(byRole.checker, checkWeights);

    const grants: NewGrant[] = [];
    for (const [orgId, g] of workerGrants) if (g.amount > 0n) grants.push({ orgId, role: "worker", amount: g.amount, basis: g.basis });
    for (const [orgId, amount] of checkerGrants) grants.push({ orgId, role: "checker", amount, basis: checkWeights.get(orgId) ?? 0n });
    if (byRole.platform > 0n) grants.push({ orgId: PROTOCOL_ORG_ID, role: "platform", amount: byRole.platform, basis: 0n });

    let workers = 0n;
    let checkers = 0n;
    let platform = 0n;
    if (grants.length > 0) {
      await insertRewardGrants(tx, { epoch, grants, vestStart, vestEnd });
      for (const g of grants) {
        if (g.role === "worker") workers += g.amount;
        else if (g.role === "checker") checkers += g.amount;
        else platform += g.amount;
      }
    }
    const granted = workers + checkers + platform;
    await saveRewardEmission(tx, { epoch, granted, workers, checkers, platform });
    logger.info({ epoch, scheduled: scheduled.toString(), granted: granted.toString(), grants: grants.length }, "epoch rewards granted");
    return { epoch, scheduled, granted, workers, checkers, platform, created: true };
  });
}

/**
 * The coordinator's step after closing an epoch: grants every closed epoch of the last
 * REWARD_CATCHUP_EPOCHS that has none yet (oldest first), so a crash between closing and
 * granting, or a coordinator that was down, still grants each epoch exactly once.
 */
export async function distributeClosedEpochs(config: RewardsConfig = getRewardsConfig()): Promise<number> {
  const pending = await listUngrantedEpochs(sql(), { catchupEpochs: config.catchupEpochs });
  let n = 0;
  for (const epoch of pending) {
    if ((await distributeEpochRewards(epoch, config))?.created) n++;
  }
  return n;
}

export interface EmissionPoint {
  epoch: number;
  startsAt: Date;
  scheduled: string;
  granted: string;
  workers: string;
  checkers: string;
  platform: string;
}

/** Emission per closed epoch, newest first (public: the explorer's chart). */
export async function listEmissions(opts: { limit: number }): Promise<EmissionPoint[]> {
  const limit = Math.min(Math.max(1, Math.trunc(opts.limit)), 500);
  const rows = await listRewardEmissions(sql(), { limit });
  return rows.map((r) => ({
    epoch: r.epoch,
    startsAt: r.starts_at,
    scheduled: BigInt(r.scheduled).toString(),
    granted: BigInt(r.granted).toString(),
    workers: BigInt(r.workers).toString(),
    checkers: BigInt(r.checkers).toString(),
    platform: BigInt(r.platform).toString(),
  }));
}
