import { handle, json, parseWith } from "~/server/http/handle";
import { getPublicKeys } from "~/server/services/nodes/get-public-keys";
import { methodsNotAllowed } from "~/server/http/api-fallback";
import { ZNodeId } from "./schemas";

export const dynamic = "force-dynamic";

/** Public keys for checking receipts offline: the platform's, and a node's with `?node=<id>`. */
export const GET = handle(async (req) => {
  const node = new URL(req.url).searchParams.get("node");
  return json(await getPublicKeys({ nodeId: node === null ? undefined : parseWith(ZNodeId, node) }));
});

// Other methods: a JSON 405 naming these.
export const { POST, PUT, PATCH, DELETE } = methodsNotAllowed("GET");
