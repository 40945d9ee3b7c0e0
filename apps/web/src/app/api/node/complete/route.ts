import { ZCompleteJobRequest } from "@proofgrid/por";
import { nodeRoute } from "~/server/http/node-route";
import { countJobResult } from "~/server/metrics";
import { completeJob } from "~/server/services/nodes/complete-job";

export const dynamic = "force-dynamic";

export const POST = nodeRoute(ZCompleteJobRequest, async ({ node, request }) => {
  try {
    const res = await completeJob({ node, request });
    countJobResult("accepted");
    return res;
  } catch (err) {
    countJobResult("refused");
    throw err;
  }
});
