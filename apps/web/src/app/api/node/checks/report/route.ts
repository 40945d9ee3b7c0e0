import { ZCheckReport } from "@proofgrid/por";
import { nodeRoute } from "~/server/http/node-route";
import { reportCheck } from "~/server/services/verification/report-check";

export const dynamic = "force-dynamic";

export const POST = nodeRoute(ZCheckReport, async ({ node, request }) => reportCheck({ node, report: request }));
