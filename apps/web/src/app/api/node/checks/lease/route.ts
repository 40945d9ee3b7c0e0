import { type CheckLeaseReply, ZCheckLeaseRequest } from "@proofgrid/por";
import { nodeRoute } from "~/server/http/node-route";
import { leaseCheck } from "~/server/services/verification/check-tasks";

export const dynamic = "force-dynamic";

export const POST = nodeRoute(
  ZCheckLeaseRequest,
  async ({ node, request, signal }): Promise<CheckLeaseReply> => ({
    check: await leaseCheck({ node, waitMs: request.waitMs, signal }),
  }),
);
