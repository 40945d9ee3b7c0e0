import type { Db } from "../db-types.ts";
import { orgAccountCode } from "../ledger/accounts.ts";

/** A job a worker ran, with what it earned its provider. */
export interface WorkerJobRow {
  id: string;
  /** The model's slug. */
  model: string;
  state: string;
  assigned_at: Date | null;
  started_at: Date | null;
  finished_at: Date | null;
  /** Credited straight to the provider's earnings account (settlements from before payouts were held). */
  earned: bigint | null;
  /** Its held payout (held, released or clawed), if its settlement held one. */
  held_state: string | null;
  held_amount: bigint | null;
  release_at: Date | null;
}

/** The worker's most recent jobs (by creation), newest first, at most `limit`. */
export async function loadWorkerJobs(db: Db, opts: { orgId: string; nodeId: string; limit: number }): Promise<WorkerJobRow[]> {
  return db.$queryRaw<WorkerJobRow[]>`
      SELECT j.id::text AS id, m.slug AS model, j.state::text AS state, j.assigned_at, j.started_at, j.finished_at,
             (SELECT sum(e.amount) FROM ledger_transfers t JOIN ledger_entries e ON e.transfer_id = t.id
                JOIN ledger_accounts a ON a.id = e.account_id
               WHERE t.job_id = j.id AND a.code = ${orgAccountCode(opts.orgId, "earnings")})::bigint AS earned,
             h.state::text AS held_state, h.amount AS held_amount, h.release_at
      FROM jobs j JOIN models m ON m.id = j.model_id LEFT JOIN held_earnings h ON h.job_id = j.id
      WHERE j.node_id = ${opts.nodeId}::uuid
      ORDER BY j.created_at DESC
      LIMIT ${opts.limit}`;
}
