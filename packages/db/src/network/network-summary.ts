import type { Db } from "../db-types.ts";

// The landing page's public, anonymised numbers (counts as int8: bigints from Prisma,
// decimal strings from the pg client; callers convert with Number()).

/** Workers online and in all, and the capacity of those online (null when none is). */
export async function countWorkers(db: Db): Promise<{ online: bigint; total: bigint; cu: bigint | null } | null> {
  const rows = await db.$queryRaw<{ online: bigint; total: bigint; cu: bigint | null }[]>`
      SELECT count(*) FILTER (WHERE status = 'online') AS online, count(*) AS total,
             sum(cu_per_hour) FILTER (WHERE status = 'online') AS cu
      FROM nodes WHERE role = 'worker'`;
  return rows[0] ?? null;
}

/** Jobs per state; states with no job are absent. */
export async function countJobsByState(db: Db): Promise<{ state: string; n: bigint }[]> {
  return db.$queryRaw<{ state: string; n: bigint }[]>`SELECT state::text AS state, count(*) AS n FROM jobs GROUP BY state`;
}

/** Jobs finished per minute over the last 30 minutes (this one included), oldest first; a minute with none is zeros. */
export async function countFinishedPerMinute(db: Db): Promise<{ minute: Date; succeeded: bigint; failed: bigint }[]> {
  return db.$queryRaw<{ minute: Date; succeeded: bigint; failed: bigint }[]>`
      SELECT m AS minute,
             count(j.id) FILTER (WHERE j.state = 'succeeded') AS succeeded,
             count(j.id) FILTER (WHERE j.state IN ('failed', 'expired')) AS failed
      FROM generate_series(date_trunc('minute', now()) - interval '29 minutes', date_trunc('minute', now()), interval '1 minute') AS m
      LEFT JOIN jobs j ON date_trunc('minute', j.finished_at) = m
      GROUP BY m ORDER BY m`;
}
