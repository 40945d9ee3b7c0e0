import { authenticateRequest } from "~/server/auth/api-keys";
import { requireScope } from "~/server/auth/caller";
import { handle, json, parseWith } from "~/server/http/handle";
import { parseJsonBody, readBodyLimited } from "~/server/http/read-body";
import { createRegistrationToken, ZCreateRegistrationTokenRequest } from "~/server/services/nodes/create-registration-token";
import { methodsNotAllowed } from "~/server/http/api-fallback";

export const dynamic = "force-dynamic";

export const POST = handle(async (req) => {
  const caller = requireScope(await authenticateRequest(req.headers), "nodes:write");
  const request = parseWith(ZCreateRegistrationTokenRequest, parseJsonBody(await readBodyLimited(req, 4_096)));
  const url = new URL(req.url);
  return json(await createRegistrationToken({ orgId: caller.orgId, role: request.role, platformUrl: url.origin }), { status: 201 });
});

// Other methods: a JSON 405 naming these.
export const { GET, PUT, PATCH, DELETE } = methodsNotAllowed("POST");
