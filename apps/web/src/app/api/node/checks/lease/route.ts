import { nodeRoute } from "~/server/http/node-route";
import { leaseCheck, ZCheckLeaseRequest } from "~/server/services/verification/check-tasks";

export const dynamic = "force-dynamic";

export const POST = nodeRoute(ZCheckLeaseRequest, async ({ node, request, signal }) => ({
  check: await leaseCheck({ node, waitMs: request.waitMs, signal }),
}));
