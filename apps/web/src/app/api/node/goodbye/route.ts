import { ZGoodbyeRequest } from "@proofgrid/por";
import { nodeRoute } from "~/server/http/node-route";
import { recordGoodbye } from "~/server/services/nodes/record-goodbye";

export const dynamic = "force-dynamic";

/** A node stopping cleanly: shown offline at once (signed, like every node request). */
export const POST = nodeRoute(ZGoodbyeRequest, ({ node }) => recordGoodbye({ node }));
