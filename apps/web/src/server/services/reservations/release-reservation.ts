import { sql, sqlTransaction } from "@proofgrid/db/sql-client";
import { AppError } from "../../errors.ts";
import { logger } from "../../logger.ts";
import { billPeriods, closeReservation, lockReservation } from "./bill-reservations.ts";
import { loadReservationView, type ReservationView } from "./reservation-view.ts";

/** Periods a release bills in its transaction: the coordinator keeps billing close to now,
 * so more means it has been down for long; the release waits for it to catch up. */
const MAX_RELEASE_PERIODS = 500;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Ends a reservation early: bills what was used since the last bill — whole periods, then
 * the partial one up to now, pro rata, with the same outage credits — frees its workers,
 * and returns the rest of the hold to the available balance, in one transaction.
 * `endsAt` keeps the booked end (the record of what was booked and held); `releasedAt`
 * says when it was released and `billedUntil` where billing stopped. Releasing before the start bills nothing and returns the whole hold; releasing
 * after the end just closes it. Idempotent: a second release returns the same
 * reservation and moves nothing.
 *
 * Downtime is what the coordinator has recorded: a worker that went silent less than
 * NODE_OFFLINE_AFTER_MS before the release has no outage yet, and that last stretch is
 * not credited.
 */
export async function releaseReservation(opts: { orgId: string; reservationId: string; now?: Date }): Promise<ReservationView> {
  if (!UUID.test(opts.reservationId)) throw new AppError("NOT_FOUND", "reservation not found");
  const now = opts.now ?? new Date();
  await sqlTransaction(async (tx) => {
    // Another organisation's reservation looks exactly like a missing one.
    const r = await lockReservation(tx, { id: opts.reservationId, orgId: opts.orgId });
    if (!r) throw new AppError("NOT_FOUND", "reservation not found");
    if (r.status !== "active") return;
    const end = new Date(Math.max(r.billed_until.getTime(), Math.min(now.getTime(), r.ends_at.getTime())));
    await billPeriods(tx, r, end, MAX_RELEASE_PERIODS);
    if (r.billed_until.getTime() < end.getTime()) {
      throw new AppError("UNAVAILABLE", "this reservation's billing is catching up; release it again in a minute");
    }
    await closeReservation(tx, r, now.getTime() >= r.ends_at.getTime() ? "ended" : "released", now);
  });
  logger.info({ reservationId: opts.reservationId, orgId: opts.orgId }, "reservation release requested");
  return loadReservationView(sql(), { orgId: opts.orgId, reservationId: opts.reservationId });
}
