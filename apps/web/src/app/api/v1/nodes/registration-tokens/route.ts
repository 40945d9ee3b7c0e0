import { authenticateRequest } from "~/server/auth/api-keys";
import { requireScope } from "~/server/auth/caller";
import { getEnv } from "~/server/env";
import { handle, json, parseWith } from "~/server/http/handle";
import { parseJsonBody, readBodyLimited } from "~/server/http/read-body";
import { createRegistrationToken, ZCreateRegistrationTokenRequest } from "~/server/services/nodes/create-registration-token";
import { methodsNotAllowed } from "~/server/http/api-fallback";
import { platformUrlForWorkers } from "~/server/services/nodes/platform-url-for-workers";

export const dynamic = "force-dynamic";

/** `{role?, region?}` → a one-time token and the commands that install and register a worker with it. */
export const POST = handle(async (req) => {
  const caller = requireScope(await authenticateRequest(req.headers), "nodes:write");
  const request = parseWith(ZCreateRegistrationTokenRequest, parseJsonBody(await readBodyLimited(req, 4_096)));
  const platform = platformUrlForWorkers({
    configured: getEnv().PROOFGRID_URL,
    host: req.headers.get("host"),
    forwardedProto: req.headers.get("x-forwarded-proto"),
    requestUrl: req.url,
  });
  return json(
    await createRegistrationToken({
      orgId: caller.orgId,
      role: request.role,
      region: request.region,
      platformUrl: platform.url,
      platformUrlNote: platform.note,
    }),
    { status: 201 },
  );
});

// Other methods: a JSON 405 naming these.
export const { GET, PUT, PATCH, DELETE } = methodsNotAllowed("POST");
