import { getEnv } from "../env.ts";
import { authenticateNode } from "../services/nodes/authenticate-node.ts";
import { handle, json, parseWith } from "./handle.ts";
import type { NodeOperation } from "./node-operations.ts";
import { parseJsonBody, readBodyLimited } from "./read-body.ts";

/**
 * A signed node-protocol endpoint over HTTP: bounded body, signature + window + nonce
 * checked against the exact bytes received, then zod validation, then the operation (the
 * same one a node session runs for a frame: node-operations.ts).
 */
export function nodeRoute(operation: NodeOperation) {
  return handle(async (req) => {
    const body = await readBodyLimited(req, getEnv().MAX_NODE_BODY_BYTES);
    const url = new URL(req.url);
    const node = await authenticateNode({ headers: req.headers, method: req.method, path: url.pathname + url.search, body });
    const request = parseWith(operation.schema, parseJsonBody(body));
    return json(await operation.run({ node, request, signal: req.signal }));
  });
}
