import { NODE_OPERATIONS } from "~/server/http/node-operations";
import { nodeRoute } from "~/server/http/node-route";

export const dynamic = "force-dynamic";

/** A job's output and signed receipt. */
export const POST = nodeRoute(NODE_OPERATIONS["/api/node/complete"]);
