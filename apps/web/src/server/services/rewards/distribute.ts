import { SYSTEM_ACCOUNTS } from "@proofgrid/db/ledger";
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
    const closed = await tx.$queryRaw<{ starts_at: Date; ends_at: Date }[]>`SELECT starts_at, ends_at FROM epochs WHERE id = ${epoch}`;
    const e = closed[0];
    if (!e) return null;
    const scheduled = emissionAt(config.schedule, e.starts_at.getTime());
    const taken = await tx.$queryRaw<{ epoch: number }[]>`
      INSERT INTO reward_emissions (epoch, scheduled) VALUES (${epoch}, ${scheduled}) ON CONFLICT (epoch) DO NOTHING RETURNING epoch`;
    if (taken.length === 0) {
      const rows = await tx.$queryRaw<{ scheduled: bigint; granted: bigint; workers: bigint; checkers: bigint; platform: bigint }[]>`
        SELECT scheduled, granted, workers, checkers, platform FROM reward_emissions WHERE epoch = ${epoch}`;
      const r = rows[0];
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

    // Workers: verified CU delivered (succeeded customer jobs and re-runs not proven wrong)...
    const cuRows = await tx.$queryRaw<{ org_id: string; milli_cu: bigint }[]>`
      SELECT n.org_id, sum(j.cost_milli_cu)::bigint AS milli_cu
      FROM jobs j JOIN nodes n ON n.id = j.node_id
      WHERE j.state = 'succeeded' AND j.purpose <> 'challenge' AND j.verification NOT IN ('refunded', 'disputed')
        AND j.finished_at >= ${e.starts_at} AND j.finished_at < ${e.ends_at}
      GROUP BY n.org_id ORDER BY n.org_id`;
    // ... and uptime: admitted workers heard from since the epoch began, their time up in it
    // (less measured outages) times their accepted capability.
    const upRows = await tx.$queryRaw<{ org_id: string; weight: bigint }[]>`
      SELECT n.org_id, sum(greatest(0, up.ms - coalesce(o.ms, 0)) * greatest(n.cu_per_hour, 0))::bigint AS weight
      FROM nodes n
      CROSS JOIN LATERAL (
        SELECT greatest(0, extract(epoch FROM (least(${e.ends_at}::timestamp, coalesce(n.removed_at, ${e.ends_at}::timestamp))
                                               - greatest(${e.starts_at}::timestamp, n.created_at))) * 1000)::bigint AS ms
      ) up
      LEFT JOIN LATERAL (
        SELECT sum(greatest(0, extract(epoch FROM (least(${e.ends_at}::timestamp, coalesce(x.ended_at, ${e.ends_at}::timestamp))
                                                   - greatest(${e.starts_at}::timestamp, x.started_at))) * 1000))::bigint AS ms
        FROM node_outages x
        WHERE x.node_id = n.id AND x.started_at < ${e.ends_at} AND (x.ended_at IS NULL OR x.ended_at > ${e.starts_at})
      ) o ON true
      WHERE n.role = 'worker' AND n.admission IN ('passed', 'derated') AND n.last_seen_at >= ${e.starts_at}
        AND n.created_at < ${e.ends_at} AND (n.removed_at IS NULL OR n.removed_at > ${e.starts_at})
      GROUP BY n.org_id ORDER BY n.org_id`;
    // ... capped by the fees those jobs paid (protocol fee and checker pool cut of their
    // settlements): jobs bought from yourself, or from a colluding customer, move their price
    // in a circle and cost exactly these fees, so farming emissions with them cannot pay.
    const feeRows = await tx.$queryRaw<{ org_id: string; fees: bigint }[]>`
      SELECT n.org_id, coalesce(sum(le.amount), 0)::bigint AS fees
      FROM jobs j JOIN nodes n ON n.id = j.node_id
      JOIN ledger_transfers lt ON lt.job_id = j.id AND lt.kind = 'settle'
      JOIN ledger_entries le ON le.transfer_id = lt.id
      JOIN ledger_accounts la ON la.id = le.account_id AND la.code IN (${SYSTEM_ACCOUNTS.protocolFee.code}, ${SYSTEM_ACCOUNTS.checkerPool.code})
      WHERE j.state = 'succeeded' AND j.purpose <> 'challenge' AND j.verification NOT IN ('refunded', 'disputed')
        AND j.finished_at >= ${e.starts_at} AND j.finished_at < ${e.ends_at}
      GROUP BY n.org_id`;
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
    const checkRows = await tx.$queryRaw<{ org_id: string; n: bigint }[]>`
      SELECT n.org_id, count(*)::bigint AS n FROM checks c JOIN nodes n ON n.id = c.checker_node_id
      WHERE c.status = 'done' AND c.finished_at >= ${e.starts_at} AND c.finished_at < ${e.ends_at}
        AND NOT EXISTS (SELECT 1 FROM node_verdicts v WHERE v.check_id = c.id AND v.role = 'checker' AND v.verdict <> 'pass')
      GROUP BY n.org_id ORDER BY n.org_id`;
    const checkWeights = new Map(checkRows.map((r) => [r.org_id, BigInt(r.n)]));
    const checkerGrants = splitProportional(byRole.checker, checkWeights);

    const grants: { orgId: string; role: "worker" | "checker" | "platform"; amount: bigint; basis: bigint }[] = [];
    for (const [orgId, g] of workerGrants) if (g.amount > 0n) grants.push({ orgId, role: "worker", amount: g.amount, basis: g.basis });
    for (const [orgId, amount] of checkerGrants) grants.push({ orgId, role: "checker", amount, basis: checkWeights.get(orgId) ?? 0n });
    if (byRole.platform > 0n) grants.push({ orgId: PROTOCOL_ORG_ID, role: "platform", amount: byRole.platform, basis: 0n });

    let workers = 0n;
    let checkers = 0n;
    let platform = 0n;
    if (grants.length > 0) {
      await tx.$executeRaw`
        INSERT INTO reward_grants (id, epoch, org_id, role, amount, basis, vest_start, vest_end)
        SELECT gen_random_uuid(), ${epoch}, g.org_id, g.role::"RewardRole", g.amount, g.basis, ${vestStart}, ${vestEnd}
        FROM unnest(${grants.map((g) => g.orgId)}::uuid[], ${grants.map((g) => g.role)}::text[],
                    ${grants.map((g) => g.amount.toString())}::bigint[], ${grants.map((g) => g.basis.toString())}::bigint[]) AS g(org_id, role, amount, basis)
        ON CONFLICT (epoch, org_id, role) DO NOTHING`;
      for (const g of grants) {
        if (g.role === "worker") workers += g.amount;
        else if (g.role === "checker") checkers += g.amount;
        else platform += g.amount;
      }
    }
    const granted = workers + checkers + platform;
    await tx.$executeRaw`
      UPDATE reward_emissions SET granted = ${granted}, workers = ${workers}, checkers = ${checkers}, platform = ${platform} WHERE epoch = ${epoch}`;
    logger.info(
      { epoch, scheduled: scheduled.toString(), granted: granted.toString(), grants: grants.length },
      "epoch rewards granted",
    );
    return { epoch, scheduled, granted, workers, checkers, platform, created: true };
  });
}

/**
 * The coordinator's step after closing an epoch: grants every closed epoch of the last
 * REWARD_CATCHUP_EPOCHS that has none yet (oldest first), so a crash between closing and
 * granting, or a coordinator that was down, still grants each epoch exactly once.
 */
export async function distributeClosedEpochs(config: RewardsConfig = getRewardsConfig()): Promise<number> {
  const pending = await sql().$queryRaw<{ id: number }[]>`
    SELECT e.id FROM epochs e
    WHERE e.id > (SELECT coalesce(max(id), 0) FROM epochs) - ${config.catchupEpochs}
      AND NOT EXISTS (SELECT 1 FROM reward_emissions r WHERE r.epoch = e.id)
    ORDER BY e.id LIMIT ${config.catchupEpochs}`;
  let n = 0;
  for (const p of pending) {
    if ((await distributeEpochRewards(p.id, config))?.created) n++;
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
  const rows = await sql().$queryRaw<
    { epoch: number; starts_at: Date; scheduled: bigint; granted: bigint; workers: bigint; checkers: bigint; platform: bigint }[]
  >`
    SELECT r.epoch, e.starts_at, r.scheduled, r.granted, r.workers, r.checkers, r.platform
    FROM reward_emissions r JOIN epochs e ON e.id = r.epoch
    ORDER BY r.epoch DESC LIMIT ${limit}`;
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
