import { handle, json, parseWith } from "~/server/http/handle";
import { listProviderRecords } from "~/server/services/verification/provider-records";
import { methodsNotAllowed } from "~/server/http/api-fallback";
import { ZQuery } from "./schemas";

export const dynamic = "force-dynamic";

/** Public: providers' records — nodes, proven frauds, slashed and refunded amounts — frauds first. `?limit=1..200&provider=<id>`. */
export const GET = handle(async (req) => {
  const q = parseWith(ZQuery, Object.fromEntries(new URL(req.url).searchParams));
  return json({ providers: await listProviderRecords({ limit: q.limit, providerId: q.provider }) });
});

export const { POST, PUT, PATCH, DELETE } = methodsNotAllowed("GET");
