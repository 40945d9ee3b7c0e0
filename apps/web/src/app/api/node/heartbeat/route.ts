import { NODE_OPERATIONS } from "~/server/http/node-operations";
import { nodeRoute } from "~/server/http/node-route";

export const dynamic = "force-dynamic";

/** The node's liveness, load and lease extensions. */
export const POST = nodeRoute(NODE_OPERATIONS["/api/node/heartbeat"]);
