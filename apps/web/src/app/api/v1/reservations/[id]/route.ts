import { authenticateRequest } from "~/server/auth/api-keys";
import { requireScope } from "~/server/auth/caller";
import { handle, json } from "~/server/http/handle";
import { getReservationOrThrow } from "~/server/services/reservations/list-reservations";
import { methodsNotAllowed } from "~/server/http/api-fallback";

export const dynamic = "force-dynamic";

/** One reservation with its workers (region, CU/h, online) and its invoices. */
export const GET = handle(async (req, _ctx, { params }: { params: Promise<{ id: string }> }) => {
  const caller = requireScope(await authenticateRequest(req.headers), "jobs:read");
  const { id } = await params;
  return json(await getReservationOrThrow({ orgId: caller.orgId, reservationId: id }));
});

// Other methods: a JSON 405 naming these.
export const { POST, PUT, PATCH, DELETE } = methodsNotAllowed("GET");
