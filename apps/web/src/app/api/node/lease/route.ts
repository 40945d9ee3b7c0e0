import { type LeaseReply, ZLeaseRequest } from "@proofgrid/por";
import { nodeRoute } from "~/server/http/node-route";
import { leaseJob } from "~/server/services/nodes/lease-job";

export const dynamic = "force-dynamic";

export const POST = nodeRoute(
  ZLeaseRequest,
  async ({ node, request, signal }): Promise<LeaseReply> => ({
    job: await leaseJob({ node, waitMs: request.waitMs, signal }),
  }),
);
