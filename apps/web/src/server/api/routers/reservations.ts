import { z } from "zod";
import { idempotencyKeyOf, runIdempotent } from "../../services/idempotency/run-idempotent.ts";
import {
  BOOK_RESERVATION_OPERATION,
  bookReservationAnswer,
  ZBookReservationRequest,
} from "../../services/reservations/book-reservation.ts";
import { getReservationOrThrow, listReservations, ZListReservationsRequest } from "../../services/reservations/list-reservations.ts";
import { releaseReservation } from "../../services/reservations/release-reservation.ts";
import { createTRPCRouter, orgProcedure } from "../trpc.ts";

const ZReservationId = z.object({ reservationId: z.string().max(64) });

/** Rented capacity, the same services as /api/v1/reservations. */
export const reservationsRouter = createTRPCRouter({
  book: orgProcedure("jobs:write")
    .input(ZBookReservationRequest)
    .mutation(async ({ ctx, input }) => {
      const request = { ...input, idempotencyKey: idempotencyKeyOf(ctx.idempotencyKeyHeader, input.idempotencyKey) };
      const res = await runIdempotent(
        { orgId: ctx.org.orgId, operation: BOOK_RESERVATION_OPERATION, key: request.idempotencyKey, request },
        () => bookReservationAnswer({ orgId: ctx.org.orgId, request }),
      );
      return res.body;
    }),
  list: orgProcedure("jobs:read")
    .input(ZListReservationsRequest)
    .query(({ ctx, input }) => listReservations({ orgId: ctx.org.orgId, request: input })),
  get: orgProcedure("jobs:read")
    .input(ZReservationId)
    .query(({ ctx, input }) => getReservationOrThrow({ orgId: ctx.org.orgId, reservationId: input.reservationId })),
  release: orgProcedure("jobs:write")
    .input(ZReservationId)
    .mutation(({ ctx, input }) => releaseReservation({ orgId: ctx.org.orgId, reservationId: input.reservationId })),
});
