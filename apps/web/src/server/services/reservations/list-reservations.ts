import { sql } from "@proofgrid/db/sql-client";
import { z } from "zod";
import { loadReservationPage, loadReservationView, type ReservationView } from "./reservation-view.ts";

export const ZListReservationsRequest = z.object({
  status: z.enum(["active", "released", "ended"]).optional(),
  limit: z.number().int().min(1).max(200).default(50),
  /** Reservation id to continue after (keyset pagination, newest first). */
  cursor: z.uuid().optional(),
});
export type TListReservationsRequest = z.input<typeof ZListReservationsRequest>;

/** The organisation's reservations, newest first, with their billing totals. */
export async function listReservations(opts: {
  orgId: string;
  request: TListReservationsRequest;
}): Promise<{ reservations: ReservationView[]; nextCursor: string | null }> {
  const req = ZListReservationsRequest.parse(opts.request);
  return loadReservationPage(sql(), { orgId: opts.orgId, status: req.status, limit: req.limit, cursor: req.cursor });
}

/** One reservation with its workers (region, capability, online) and its invoices. */
export async function getReservationOrThrow(opts: { orgId: string; reservationId: string }): Promise<ReservationView> {
  return loadReservationView(sql(), opts);
}
