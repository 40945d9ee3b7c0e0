import { NODE_OPERATIONS } from "~/server/http/node-operations";
import { nodeRoute } from "~/server/http/node-route";

export const dynamic = "force-dynamic";

/** Long-poll for a job the indexer assigned to this node. */
export const POST = nodeRoute(NODE_OPERATIONS["/api/node/lease"]);
