import { nodeRoute } from "~/server/http/node-route";
import { completeJob, ZCompleteJobRequest } from "~/server/services/nodes/complete-job";

export const dynamic = "force-dynamic";

export const POST = nodeRoute(ZCompleteJobRequest, ({ node, request }) => completeJob({ node, request }));
