import type { Db } from "../db-types.ts";

export type ReservationStatus = "active" | "released" | "ended";

/** A reservation row as billing needs it, locked FOR UPDATE by the caller's transaction. */
export interface LockedReservation {
  id: string;
  org_id: string;
  price_per_cu: bigint;
  starts_at: Date;
  ends_at: Date;
  billed_until: Date;
  status: ReservationStatus;
}

/** Locks the reservation row: two coordinators (or a coordinator and a release) bill one
 * at a time, and each sees what the other billed. With `orgId`, only that organisation's. */
export async function lockReservation(db: Db, opts: { id: string; orgId?: string }): Promise<LockedReservation | undefined> {
  const rows = await db.$queryRaw<LockedReservation[]>`
    SELECT id, org_id, price_per_cu, starts_at, ends_at, billed_until, status::text AS status
    FROM reservations WHERE id = ${opts.id}::uuid AND (${opts.orgId ?? null}::uuid IS NULL OR org_id = ${opts.orgId ?? null}::uuid)
    FOR UPDATE`;
  const r = rows[0];
  return r ? { ...r, price_per_cu: BigInt(r.price_per_cu) } : undefined;
}

export interface ListDueReservationsOptions {
  periodMs: number;
  /** Periods that end after this are not due yet. */
  cutoff: Date;
  limit: number;
}

/**
 * Active reservations with a period to bill that ended by `cutoff` (or whose window is
 * billed to its end and only needs closing), least recently billed first.
 */
export async function listDueReservations(db: Db, opts: ListDueReservationsOptions): Promise<{ id: string }[]> {
  return db.$queryRaw<{ id: string }[]>`
    SELECT id FROM reservations
    WHERE status = 'active'
      AND (billed_until >= ends_at OR least(billed_until + ${opts.periodMs} * interval '1 millisecond', ends_at) <= ${opts.cutoff})
    ORDER BY billed_until
    LIMIT ${opts.limit}`;
}

/** Billing has covered the reservation up to `billedUntil`. */
export async function setReservationBilledUntil(db: Db, opts: { id: string; billedUntil: Date }): Promise<void> {
  await db.$executeRaw`UPDATE reservations SET billed_until = ${opts.billedUntil} WHERE id = ${opts.id}::uuid`;
}

/** Ends a reservation; `releasedAt` is set for an early release (`released`), null otherwise. */
export async function setReservationStatus(
  db: Db,
  opts: { id: string; status: "ended" | "released"; releasedAt: Date | null },
): Promise<void> {
  await db.$executeRaw`
    UPDATE reservations SET status = ${opts.status}::"ReservationStatus", released_at = ${opts.releasedAt}
    WHERE id = ${opts.id}::uuid`;
}

/** What a booking's idempotency key promises not to change. */
export interface ReservationKeyRow {
  id: string;
  region: string;
  min_cu_per_hour: number;
  count: number;
  model_id: string | null;
}

/** The reservation the organisation booked with this idempotency key, if any. */
export async function findReservationByKey(db: Db, opts: { orgId: string; key: string }): Promise<ReservationKeyRow | undefined> {
  const rows = await db.$queryRaw<ReservationKeyRow[]>`
    SELECT id, region, min_cu_per_hour, count, model_id FROM reservations
    WHERE org_id = ${opts.orgId}::uuid AND idempotency_key = ${opts.key}`;
  return rows[0];
}

export interface InsertReservationOptions {
  orgId: string;
  region: string;
  minCuPerHour: number;
  count: number;
  modelId: string | null;
  pricePerCuBaseUnits: bigint;
  startsAt: Date;
  endsAt: Date;
  idempotencyKey: string;
}

/** Inserts an active reservation, billed from its start; returns its id. The unique
 * (org_id, idempotency_key) refuses a second booking with the same key. */
export async function insertReservation(db: Db, opts: InsertReservationOptions): Promise<string | undefined> {
  const inserted = await db.$queryRaw<{ id: string }[]>`
    INSERT INTO reservations (id, org_id, region, min_cu_per_hour, count, model_id, price_per_cu, starts_at, ends_at, billed_until,
                              idempotency_key)
    VALUES (gen_random_uuid(), ${opts.orgId}::uuid, ${opts.region}, ${opts.minCuPerHour}, ${opts.count}, ${opts.modelId},
            ${opts.pricePerCuBaseUnits}, ${opts.startsAt}, ${opts.endsAt}, ${opts.startsAt}, ${opts.idempotencyKey})
    RETURNING id`;
  return inserted[0]?.id;
}
