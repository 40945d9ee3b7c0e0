import { handle, json, parseWith } from "~/server/http/handle";
import { currentVerification, listEpochs } from "~/server/services/verification/stats";
import { methodsNotAllowed } from "~/server/http/api-fallback";
import { ZLimit } from "./schemas";

export const dynamic = "force-dynamic";

/** Public: per-epoch verification statistics and the running epoch (no key needed). */
export const GET = handle(async (req) => {
  const limit = new URL(req.url).searchParams.get("limit");
  return json({
    current: await currentVerification(),
    epochs: await listEpochs({ limit: limit === null ? 96 : parseWith(ZLimit, limit) }),
  });
});

// Other methods: a JSON 405 naming these.
export const { POST, PUT, PATCH, DELETE } = methodsNotAllowed("GET");
