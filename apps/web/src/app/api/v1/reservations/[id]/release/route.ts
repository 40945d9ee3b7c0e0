import { authenticateRequest } from "~/server/auth/api-keys";
import { requireScope } from "~/server/auth/caller";
import { handle, json } from "~/server/http/handle";
import { releaseReservation } from "~/server/services/reservations/release-reservation";
import { methodsNotAllowed } from "~/server/http/api-fallback";

export const dynamic = "force-dynamic";

/** Release early: bills up to now, pro rata, and returns the rest of the hold. Idempotent. */
export const POST = handle(async (req, _ctx, { params }: { params: Promise<{ id: string }> }) => {
  const caller = requireScope(await authenticateRequest(req.headers), "jobs:write");
  const { id } = await params;
  return json(await releaseReservation({ orgId: caller.orgId, reservationId: id }));
});

// Other methods: a JSON 405 naming these.
export const { GET, PUT, PATCH, DELETE } = methodsNotAllowed("POST");
