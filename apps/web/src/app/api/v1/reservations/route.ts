import { authenticateRequest } from "~/server/auth/api-keys";
import { requireScope } from "~/server/auth/caller";
import { handle, json, parseWith } from "~/server/http/handle";
import { parseJsonBody, readBodyLimited } from "~/server/http/read-body";
import { bookReservation, ZBookReservationRequest } from "~/server/services/reservations/book-reservation";
import { listReservations, ZListReservationsRequest } from "~/server/services/reservations/list-reservations";
import { methodsNotAllowed } from "~/server/http/api-fallback";

export const dynamic = "force-dynamic";

/**
 * Reserve workers: `{ region, minCuPerHour, count, model?, hours | endsAt, startsAt?,
 * idempotencyKey }` → 201 with the reservation (200 when the key had already booked).
 * The window's cost at the listed price is held from the available balance.
 */
export const POST = handle(async (req) => {
  const caller = requireScope(await authenticateRequest(req.headers), "jobs:write");
  const request = parseWith(ZBookReservationRequest, parseJsonBody(await readBodyLimited(req, 4_096)));
  const res = await bookReservation({ orgId: caller.orgId, request });
  return json(res.reservation, { status: res.created ? 201 : 200 });
});

/** The organisation's reservations, newest first: `?status=&limit=&cursor=`. */
export const GET = handle(async (req) => {
  const caller = requireScope(await authenticateRequest(req.headers), "jobs:read");
  const q = new URL(req.url).searchParams;
  const request = parseWith(ZListReservationsRequest, {
    status: q.get("status") ?? undefined,
    limit: q.has("limit") ? Number(q.get("limit")) : undefined,
    cursor: q.get("cursor") ?? undefined,
  });
  return json(await listReservations({ orgId: caller.orgId, request }));
});

// Other methods: a JSON 405 naming these.
export const { PUT, PATCH, DELETE } = methodsNotAllowed("GET", "POST");
