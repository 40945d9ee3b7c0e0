import type { Db } from "../db-types.ts";
import { SYSTEM_ACCOUNTS } from "../ledger/accounts.ts";

// What an epoch's emission is split by, per organisation, for the epoch [startsAt, endsAt).
// int8 sums arrive as strings from pg and as bigints from Prisma: read them through BigInt().

export interface EpochWindow {
  startsAt: Date;
  endsAt: Date;
}

/** Workers: verified CU delivered (succeeded customer jobs and re-runs not proven wrong). */
export async function sumVerifiedCu(db: Db, opts: EpochWindow): Promise<{ org_id: string; milli_cu: bigint | string }[]> {
  const { startsAt, endsAt } = opts;
  return db.$queryRaw<{ org_id: string; milli_cu: bigint | string }[]>`
    SELECT n.org_id, sum(j.cost_milli_cu)::bigint AS milli_cu
    FROM jobs j JOIN nodes n ON n.id = j.node_id
    WHERE j.state = 'succeeded' AND j.purpose <> 'challenge' AND j.verification NOT IN ('refunded', 'disputed')
      AND j.finished_at >= ${startsAt} AND j.finished_at < ${endsAt}
    GROUP BY n.org_id ORDER BY n.org_id`;
}

/** Workers' uptime: admitted workers heard from since the epoch began, their time up in it
 * (less measured outages, in ms) times their accepted capability. */
export async function sumUptimeWeights(db: Db, opts: EpochWindow): Promise<{ org_id: string; weight: bigint | string }[]> {
  const { startsAt, endsAt } = opts;
  return db.$queryRaw<{ org_id: string; weight: bigint | string }[]>`
    SELECT n.org_id, sum(greatest(0, up.ms - coalesce(o.ms, 0)) * greatest(n.cu_per_hour, 0))::bigint AS weight
    FROM nodes n
    CROSS JOIN LATERAL (
      SELECT greatest(0, extract(epoch FROM (least(${endsAt}::timestamp, coalesce(n.removed_at, ${endsAt}::timestamp))
                                             - greatest(${startsAt}::timestamp, n.created_at))) * 1000)::bigint AS ms
    ) up
    LEFT JOIN LATERAL (
      SELECT sum(greatest(0, extract(epoch FROM (least(${endsAt}::timestamp, coalesce(x.ended_at, ${endsAt}::timestamp))
                                                 - greatest(${startsAt}::timestamp, x.started_at))) * 1000))::bigint AS ms
      FROM node_outages x
      WHERE x.node_id = n.id AND x.started_at < ${endsAt} AND (x.ended_at IS NULL OR x.ended_at > ${startsAt})
    ) o ON true
    WHERE n.role = 'worker' AND n.admission IN ('passed', 'derated') AND n.last_seen_at >= ${startsAt}
      AND n.created_at < ${endsAt} AND (n.removed_at IS NULL OR n.removed_at > ${startsAt})
    GROUP BY n.org_id ORDER BY n.org_id`;
}

/** The fees the workers' verified jobs paid: the protocol fee and checker pool cut of their
 * settlements (what a worker's CU grant is capped by). */
export async function sumSettlementFees(db: Db, opts: EpochWindow): Promise<{ org_id: string; fees: bigint | string }[]> {
  const { startsAt, endsAt } = opts;
  const protocolFee = SYSTEM_ACCOUNTS.protocolFee.code;
  const checkerPool = SYSTEM_ACCOUNTS.checkerPool.code;
  return db.$queryRaw<{ org_id: string; fees: bigint | string }[]>`
    SELECT n.org_id, coalesce(sum(le.amount), 0)::bigint AS fees
    FROM jobs j JOIN nodes n ON n.id = j.node_id
    JOIN ledger_transfers lt ON lt.job_id = j.id AND lt.kind = 'settle'
    JOIN ledger_entries le ON le.transfer_id = lt.id
    JOIN ledger_accounts la ON la.id = le.account_id AND la.code IN (${protocolFee}, ${checkerPool})
    WHERE j.state = 'succeeded' AND j.purpose <> 'challenge' AND j.verification NOT IN ('refunded', 'disputed')
      AND j.finished_at >= ${startsAt} AND j.finished_at < ${endsAt}
    GROUP BY n.org_id`;
}

/** Checkers: checks done in the epoch, those their checker was not caught failing (the same
 * count the checker pool's payout uses). */
export async function countPassedChecks(db: Db, opts: EpochWindow): Promise<{ org_id: string; n: bigint | string }[]> {
  const { startsAt, endsAt } = opts;
  return db.$queryRaw<{ org_id: string; n: bigint | string }[]>`
    SELECT n.org_id, count(*)::bigint AS n FROM checks c JOIN nodes n ON n.id = c.checker_node_id
    WHERE c.status = 'done' AND c.finished_at >= ${startsAt} AND c.finished_at < ${endsAt}
      AND NOT EXISTS (SELECT 1 FROM node_verdicts v WHERE v.check_id = c.id AND v.role = 'checker' AND v.verdict <> 'pass')
    GROUP BY n.org_id ORDER BY n.org_id`;
}
