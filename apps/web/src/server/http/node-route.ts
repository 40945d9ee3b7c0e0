import type { z } from "zod";
import { getEnv } from "../env.ts";
import { authenticateNode, type NodeIdentity } from "../services/nodes/authenticate-node.ts";
import { handle, json, parseWith } from "./handle.ts";
import { parseJsonBody, readBodyLimited } from "./read-body.ts";

/**
 * A signed node-protocol endpoint: bounded body, signature + window + nonce checked
 * against the exact bytes received, then zod validation, then the service.
 */
export function nodeRoute<T extends z.ZodType>(
  schema: T,
  fn: (args: { node: NodeIdentity; request: z.infer<T>; signal: AbortSignal }) => Promise<unknown>,
) {
  return handle(async (req) => {
    const body = await readBodyLimited(req, getEnv().MAX_NODE_BODY_BYTES);
    const url = new URL(req.url);
    const node = await authenticateNode({ headers: req.headers, method: req.method, path: url.pathname + url.search, body });
    const request = parseWith(schema, parseJsonBody(body));
    return json(await fn({ node, request, signal: req.signal }));
  });
}
