import type { Db } from "../db-types.ts";

/**
 * A `reward_emissions` row's amounts: one closed epoch's emission, what the schedule gave and
 * what was granted, by role (the rest stays in the emission pool). int8 columns arrive as
 * strings from pg and as bigints from Prisma: read them through BigInt().
 */
export interface RewardEmissionRow {
  scheduled: bigint | string;
  granted: bigint | string;
  workers: bigint | string;
  checkers: bigint | string;
  platform: bigint | string;
}

/** The epoch's bounds; null when it has not been closed (no `epochs` row). */
export async function loadClosedEpoch(db: Db, opts: { epoch: number }): Promise<{ starts_at: Date; ends_at: Date } | null> {
  const closed = await db.$queryRaw<{ starts_at: Date; ends_at: Date }[]>`SELECT starts_at, ends_at FROM epochs WHERE id = ${opts.epoch}`;
  return closed[0] ?? null;
}

/**
 * Takes the epoch's emission row (nothing granted yet). False when it exists: another call
 * took it first (a concurrent one waits on its row lock until that one commits).
 */
export async function takeRewardEmission(db: Db, opts: { epoch: number; scheduled: bigint }): Promise<boolean> {
  const taken = await db.$queryRaw<{ epoch: number }[]>`
    INSERT INTO reward_emissions (epoch, scheduled) VALUES (${opts.epoch}, ${opts.scheduled})
    ON CONFLICT (epoch) DO NOTHING RETURNING epoch`;
  return taken.length > 0;
}

export async function loadRewardEmission(db: Db, opts: { epoch: number }): Promise<RewardEmissionRow | null> {
  const rows = await db.$queryRaw<RewardEmissionRow[]>`
    SELECT scheduled, granted, workers, checkers, platform FROM reward_emissions WHERE epoch = ${opts.epoch}`;
  return rows[0] ?? null;
}

/** Records what the epoch's grants came to. */
export async function saveRewardEmission(
  db: Db,
  opts: { epoch: number; granted: bigint; workers: bigint; checkers: bigint; platform: bigint },
): Promise<void> {
  const { epoch, granted, workers, checkers, platform } = opts;
  await db.$executeRaw`
    UPDATE reward_emissions SET granted = ${granted}, workers = ${workers}, checkers = ${checkers}, platform = ${platform}
    WHERE epoch = ${epoch}`;
}

/** Closed epochs among the last `catchupEpochs` without an emission row, oldest first. */
export async function listUngrantedEpochs(db: Db, opts: { catchupEpochs: number }): Promise<number[]> {
  const pending = await db.$queryRaw<{ id: number }[]>`
    SELECT e.id FROM epochs e
    WHERE e.id > (SELECT coalesce(max(id), 0) FROM epochs) - ${opts.catchupEpochs}
      AND NOT EXISTS (SELECT 1 FROM reward_emissions r WHERE r.epoch = e.id)
    ORDER BY e.id LIMIT ${opts.catchupEpochs}`;
  return pending.map((p) => p.id);
}

/** Emission per closed epoch with the epoch's start, newest first; `limit` is the caller's bound. */
export async function listRewardEmissions(
  db: Db,
  opts: { limit: number },
): Promise<(RewardEmissionRow & { epoch: number; starts_at: Date })[]> {
  return db.$queryRaw<(RewardEmissionRow & { epoch: number; starts_at: Date })[]>`
    SELECT r.epoch, e.starts_at, r.scheduled, r.granted, r.workers, r.checkers, r.platform
    FROM reward_emissions r JOIN epochs e ON e.id = r.epoch
    ORDER BY r.epoch DESC LIMIT ${opts.limit}`;
}
