import { NODE_OPERATIONS } from "~/server/http/node-operations";
import { nodeRoute } from "~/server/http/node-route";

export const dynamic = "force-dynamic";

/** A checker's verdict on a check it leased. */
export const POST = nodeRoute(NODE_OPERATIONS["/api/node/checks/report"]);
