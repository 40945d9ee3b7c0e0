import { nodeRoute } from "~/server/http/node-route";
import { recordGoodbye, ZGoodbyeRequest } from "~/server/services/nodes/record-goodbye";

export const dynamic = "force-dynamic";

/** A node stopping cleanly: shown offline at once (signed, like every node request). */
export const POST = nodeRoute(ZGoodbyeRequest, ({ node }) => recordGoodbye({ node }));
