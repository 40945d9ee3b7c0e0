import { ZHeartbeatRequest } from "@proofgrid/por";
import { nodeRoute } from "~/server/http/node-route";
import { heartbeat } from "~/server/services/nodes/heartbeat";

export const dynamic = "force-dynamic";

export const POST = nodeRoute(ZHeartbeatRequest, ({ node, request }) => heartbeat({ node, request }));
