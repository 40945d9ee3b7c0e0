import { authenticateRequest } from "~/server/auth/api-keys";
import { requireScope } from "~/server/auth/caller";
import { handle, json, parseWith } from "~/server/http/handle";
import { parseJsonBody, readBodyLimited } from "~/server/http/read-body";
import { idempotencyKeyOf, runIdempotent } from "~/server/services/idempotency/run-idempotent";
import {
  BOOK_RESERVATION_OPERATION,
  bookReservationAnswer,
  ZBookReservationRequest,
} from "~/server/services/reservations/book-reservation";
import { listReservations, ZListReservationsRequest } from "~/server/services/reservations/list-reservations";
import { methodsNotAllowed } from "~/server/http/api-fallback";

export const dynamic = "force-dynamic";

/**
 * Reserve workers: `{ region, minCuPerHour, count, model?, hours | endsAt, startsAt?,
 * idempotencyKey }` (or an `Idempotency-Key` header) → 201 with the reservation; a retry with
 * the same key and body gets the same answer, another body under that key a 422.
 * The window's cost at the listed price is held from the available balance.
 */
export const POST = handle(async (req) => {
  const caller = requireScope(await authenticateRequest(req.headers), "jobs:write");
  const parsed = parseWith(ZBookReservationRequest, parseJsonBody(await readBodyLimited(req, 4_096)));
  const request = { ...parsed, idempotencyKey: idempotencyKeyOf(req.headers.get("idempotency-key"), parsed.idempotencyKey) };
  const res = await runIdempotent(
    { orgId: caller.orgId, operation: BOOK_RESERVATION_OPERATION, key: request.idempotencyKey, request },
    () => bookReservationAnswer({ orgId: caller.orgId, request }),
  );
  return json(res.body.reservation, { status: res.status });
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
