import { NODE_OPERATIONS } from "~/server/http/node-operations";
import { nodeRoute } from "~/server/http/node-route";

export const dynamic = "force-dynamic";

/** A node stopping cleanly: shown offline at once (signed, like every node request). */
export const POST = nodeRoute(NODE_OPERATIONS["/api/node/goodbye"]);
