import { z } from "zod";
import { ZBaseUnits, ZDateTime, ZUuid } from "./common.ts";

const ZBilled = z.strictObject({
  gross: ZBaseUnits,
  outageCredit: ZBaseUnits,
  charged: ZBaseUnits,
  downtimeMs: z.string().regex(/^(0|[1-9][0-9]*)$/),
});

export const ZReservation = z
  .strictObject({
    id: ZUuid,
    region: z.string(),
    minCuPerHour: z.int().min(1),
    count: z.int().min(1),
    model: z.string().nullable(),
    pricePerCu: ZBaseUnits,
    startsAt: ZDateTime,
    endsAt: ZDateTime,
    status: z.enum(["active", "released", "ended"]),
    billedUntil: ZDateTime,
    releasedAt: ZDateTime.nullable(),
    createdAt: ZDateTime,
    held: ZBaseUnits,
    billed: ZBilled,
    returned: ZBaseUnits,
    nodes: z.array(z.strictObject({ id: ZUuid, region: z.string(), cuPerHour: z.number(), online: z.boolean() })).optional(),
    invoices: z.array(ZBilled.extend({ periodStart: ZDateTime, periodEnd: ZDateTime })).optional(),
  })
  .meta({ id: "Reservation" });

export const ZReservationList = z
  .strictObject({ reservations: z.array(ZReservation), nextCursor: ZUuid.nullable() })
  .meta({ id: "ReservationList" });
