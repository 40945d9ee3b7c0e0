import { handle, json, parseWith } from "~/server/http/handle";
import { parseJsonBody, readBodyLimited } from "~/server/http/read-body";
import { registerNode, ZRegisterNodeRequest } from "~/server/services/nodes/register-node";

export const dynamic = "force-dynamic";

// Unsigned by design (the node has no identity yet): the one-time token authorises it
// and the proof signature shows the caller holds the key it registers.
export const POST = handle(async (req) => {
  const request = parseWith(ZRegisterNodeRequest, parseJsonBody(await readBodyLimited(req, 16_384)));
  return json(await registerNode(request), { status: 201 });
});
