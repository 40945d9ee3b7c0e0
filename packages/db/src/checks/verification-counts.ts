import type { Db } from "../db-types.ts";

export interface VerificationCounts {
  /** Checks finished since `since`. */
  checks: number;
  /** Of those, fraud verdicts. */
  frauds: number;
  /** Checks waiting, queued or leased now. */
  open: number;
  /** Slashes since `since`. */
  slashes: number;
}

/** The running epoch's counts, live: checks finished and frauds found since `since`, open checks, slashes. */
export async function countVerificationSince(db: Db, opts: { since: Date }): Promise<VerificationCounts | null> {
  const { since } = opts;
  const [row] = await db.$queryRaw<VerificationCounts[]>`
    SELECT (SELECT count(*) FROM checks WHERE finished_at >= ${since})::int AS checks,
           (SELECT count(*) FROM checks WHERE finished_at >= ${since} AND verdict = 'fraud')::int AS frauds,
           (SELECT count(*) FROM checks WHERE status IN ('waiting', 'queued', 'leased'))::int AS open,
           (SELECT count(*) FROM slashes WHERE created_at >= ${since})::int AS slashes`;
  return row ?? null;
}
