import { ZFailJobRequest } from "@proofgrid/por";
import { nodeRoute } from "~/server/http/node-route";
import { failJob } from "~/server/services/nodes/fail-job";

export const dynamic = "force-dynamic";

export const POST = nodeRoute(ZFailJobRequest, ({ node, request }) => failJob({ node, request }));
