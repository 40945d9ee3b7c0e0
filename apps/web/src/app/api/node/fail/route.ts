import { NODE_OPERATIONS } from "~/server/http/node-operations";
import { nodeRoute } from "~/server/http/node-route";

export const dynamic = "force-dynamic";

/** A job the node could not run, or hands back. */
export const POST = nodeRoute(NODE_OPERATIONS["/api/node/fail"]);
