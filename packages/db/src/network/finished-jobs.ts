import type { Db } from "../db-types.ts";

/** Jobs that finished (succeeded or failed, every purpose alike) in the `windowMinutes` before `horizon`. */
export async function countFinishedJobs(db: Db, opts: { horizon: Date; windowMinutes: number }): Promise<number> {
  const { horizon } = opts;
  const rows = await db.$queryRaw<{ finished: number }[]>`
      SELECT (SELECT count(*) FROM jobs WHERE state IN ('succeeded', 'failed')
                AND finished_at >= ${horizon}::timestamp - ${opts.windowMinutes} * interval '1 minute'
                AND finished_at < ${horizon})::int AS finished`;
  return rows[0]?.finished ?? 0;
}
