import { NODE_OPERATIONS } from "~/server/http/node-operations";
import { nodeRoute } from "~/server/http/node-route";

export const dynamic = "force-dynamic";

/** Long-poll for a check (re-execution or challenge) for this checker. */
export const POST = nodeRoute(NODE_OPERATIONS["/api/node/checks/lease"]);
