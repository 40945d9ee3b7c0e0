import { nodeRoute } from "~/server/http/node-route";
import { leaseJob, ZLeaseRequest } from "~/server/services/nodes/lease-job";

export const dynamic = "force-dynamic";

export const POST = nodeRoute(ZLeaseRequest, async ({ node, request, signal }) => ({
  job: await leaseJob({ node, waitMs: request.waitMs, signal }),
}));
