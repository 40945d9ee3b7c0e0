import type { Db } from "../db-types.ts";

/** Locks the checker pool's ledger account (FOR UPDATE) and reads its balance; 0 when it does not exist. */
export async function lockCheckerPoolBalance(db: Db, opts: { code: string }): Promise<bigint> {
  const pool = await db.$queryRaw<{ balance: bigint }[]>`SELECT balance FROM ledger_accounts WHERE code = ${opts.code} FOR UPDATE`;
  return BigInt(pool[0]?.balance ?? 0n);
}

/**
 * Checks each checker provider completed in [startsAt, endsAt), by org id: a check counts
 * unless the checker got a verdict other than pass on it (a refused report earns nothing).
 */
export async function countCheckerWork(db: Db, opts: { startsAt: Date; endsAt: Date }): Promise<{ org_id: string; n: number }[]> {
  const { startsAt, endsAt } = opts;
  return db.$queryRaw<{ org_id: string; n: number }[]>`
    SELECT n.org_id, count(*)::int AS n FROM checks c JOIN nodes n ON n.id = c.checker_node_id
    WHERE c.status = 'done' AND c.finished_at >= ${startsAt} AND c.finished_at < ${endsAt}
      AND NOT EXISTS (SELECT 1 FROM node_verdicts v WHERE v.check_id = c.id AND v.role = 'checker' AND v.verdict <> 'pass')
    GROUP BY n.org_id ORDER BY n.org_id`;
}
