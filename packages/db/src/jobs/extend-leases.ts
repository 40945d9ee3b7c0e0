import type { Db } from "../db-types.ts";

export interface ExtendLeasesOptions {
  /** A running job's lease is made to last at least this long from now. */
  leaseMs: number;
  /** An assigned job's offer is made to last at least this long from now. */
  offerMs: number;
}

/**
 * The grace a new leader gives every lease before its sweeper runs (Chubby's master
 * fail-over grace period). The coordinator leads only while its advisory-lock connection
 * lives, so it takes over after every database restart and after every leader change;
 * while there was no leader, or while the database was down, no heartbeat could be
 * recorded, and a sweep at once would expire every lease the outage outlasted. Measured
 * in tests/e2e/postgres-restart.test.ts without it: a job whose three attempts each met
 * a restart failed with "lease expired on every attempt" although its workers were
 * healthy and had finished it, and offers that lapsed during the outage put their
 * workers in the dispatcher's 30 s cool-down. A lease is only ever lengthened; a holder
 * that is really gone costs one more lease before its job is re-queued.
 */
export async function extendLeasesAfterOutage(db: Db, opts: ExtendLeasesOptions): Promise<{ running: number; assigned: number }> {
  // One statement over at most the network's slots (running and offered jobs).
  const rows = await db.$queryRaw<{ state: string; n: number }[]>`
    WITH extended AS (
      UPDATE jobs SET lease_expires_at = greatest(lease_expires_at,
        now() + (CASE WHEN state = 'running' THEN ${opts.leaseMs}::int ELSE ${opts.offerMs}::int END) * interval '1 millisecond')
      WHERE state IN ('running', 'assigned') AND lease_expires_at IS NOT NULL
      RETURNING state::text AS state
    )
    SELECT state, count(*)::int AS n FROM extended GROUP BY state`;
  return {
    running: rows.find((r) => r.state === "running")?.n ?? 0,
    assigned: rows.find((r) => r.state === "assigned")?.n ?? 0,
  };
}
