import type { Db } from "../db-types.ts";
import { type SqlFragment, sqlFragment } from "../sql-fragment.ts";
import type { HeldEarningState } from "../generated/prisma/enums.ts";

// A worker's payout for a settled job, held on its node (`node:<id>:held`) until the job's
// verification window closes (`release_at`); then released to the provider's earnings, or
// clawed back by a fraud verdict. `charge` is what the customer paid for the job: it counts
// toward the node's exposure while the payout is held.

export interface HeldEarningRow {
  job_id: string;
  node_id: string;
  org_id: string;
  amount: bigint;
  charge: bigint;
  state: HeldEarningState;
  release_at: Date;
}

/**
 * The CTE that records a settled job's held payout in its settlement's statement (after
 * `transferMoves`, see post-transfer.ts): written only when the transfer was posted now, with
 * every account found — a settlement posted before (a retry) or refused writes none.
 */
export function heldEarningAfterTransfer(opts: {
  jobId: string;
  nodeId: string;
  orgId: string;
  amount: bigint;
  charge: bigint;
  releaseAt: Date;
}): SqlFragment {
  return sqlFragment`held_earning AS (
        INSERT INTO held_earnings (job_id, node_id, org_id, amount, charge, release_at)
        SELECT ${opts.jobId}::uuid, ${opts.nodeId}::uuid, ${opts.orgId}::uuid, ${opts.amount}::bigint, ${opts.charge}::bigint,
               ${opts.releaseAt}::timestamp
        WHERE EXISTS (SELECT 1 FROM t) AND (SELECT "all" FROM known)
        ON CONFLICT (job_id) DO NOTHING)`;
}

export type DueHeldEarningRow = Pick<HeldEarningRow, "job_id" | "node_id" | "org_id" | "amount">;

/**
 * Locks up to `limit` held payouts whose window has closed and that nothing blocks: not while
 * the job's check is pending or disputed, the node is quarantined for fraud, or the node has
 * an open dispute or an open fraud case (any of those may still end in a clawback). SKIP
 * LOCKED: concurrent runs and a fraud verdict's clawback never both take one.
 */
export async function lockDueHeldEarnings(db: Db, opts: { limit: number }): Promise<DueHeldEarningRow[]> {
  return db.$queryRaw<DueHeldEarningRow[]>`
    SELECT h.job_id, h.node_id, h.org_id, h.amount FROM held_earnings h
    JOIN jobs j ON j.id = h.job_id JOIN nodes n ON n.id = h.node_id
    WHERE h.state = 'held' AND h.release_at <= now()
      AND j.verification NOT IN ('pending', 'disputed')
      AND coalesce(n.quarantine_reason, '') <> 'fraud'
      AND NOT EXISTS (SELECT 1 FROM checks c
                      WHERE c.subject_node_id = h.node_id AND c.kind = 'dispute' AND c.status IN ('queued', 'leased'))
      AND NOT EXISTS (SELECT 1 FROM fraud_cases f WHERE f.node_id = h.node_id AND f.status = 'auditing')
    ORDER BY h.release_at LIMIT ${opts.limit}
    FOR UPDATE OF h SKIP LOCKED`;
}

export async function markHeldEarningsReleased(db: Db, opts: { jobIds: readonly string[] }): Promise<void> {
  const ids = [...opts.jobIds];
  await db.$executeRaw`UPDATE held_earnings SET state = 'released', resolved_at = now() WHERE job_id = ANY(${ids}::uuid[])`;
}

export interface HeldEarningsStateCount {
  state: HeldEarningState;
  n: number;
  amount: bigint;
}

/** A node's payouts per state: how many and how much. */
export async function countHeldEarningsByState(db: Db, opts: { nodeId: string }): Promise<HeldEarningsStateCount[]> {
  return db.$queryRaw<HeldEarningsStateCount[]>`
    SELECT state::text AS state, count(*)::int AS n, coalesce(sum(amount), 0)::bigint AS amount FROM held_earnings
    WHERE node_id = ${opts.nodeId}::uuid GROUP BY state`;
}

/** One held payout with the totals over all the node's held payouts. With nothing held the
 * query answers one row of totals whose payout columns are null. */
export interface HeldEarningsReleaseRow {
  job_id: string | null;
  amount: bigint | null;
  release_at: Date | null;
  n: number;
  total: bigint;
  last_release: Date | null;
}

/** A node's held payouts, the nearest releases first (at most `limit`), each row carrying the
 * totals over all of them (`n`, `total`, `last_release`). */
export async function loadHeldEarningsReleases(db: Db, opts: { nodeId: string; limit: number }): Promise<HeldEarningsReleaseRow[]> {
  return db.$queryRaw<HeldEarningsReleaseRow[]>`
    SELECT h.job_id, h.amount, h.release_at, t.n, t.total, t.last_release
    FROM (SELECT count(*)::int AS n, coalesce(sum(amount), 0)::bigint AS total, max(release_at) AS last_release
          FROM held_earnings WHERE node_id = ${opts.nodeId}::uuid AND state = 'held') t
    LEFT JOIN LATERAL (SELECT job_id, amount, release_at FROM held_earnings WHERE node_id = ${opts.nodeId}::uuid AND state = 'held'
                       ORDER BY release_at LIMIT ${opts.limit}) h ON true`;
}
