import { Readable } from "node:stream";
import { getEnv } from "~/server/env";
import { handle } from "~/server/http/handle";
import { readBodyLimited } from "~/server/http/read-body";
import { authenticateNode } from "~/server/services/nodes/authenticate-node";
import { openModelDownload } from "~/server/services/nodes/open-model-download";

export const dynamic = "force-dynamic";

type Params = { params: Promise<{ id: string }> };

/**
 * A model's file, by its sha256, for a node that holds a job or check of it (issue 17).
 * Signed like every node request — the signature covers method, path and the (empty) body,
 * not the Range header, so a resumed download signs the same way as a fresh one. Range
 * requests resume a cut download: `bytes=first-[last]` → 206, none → 200, ETag the hash.
 */
export const GET = handle(async (req, ctx, { params }: Params) => {
  const body = await readBodyLimited(req, getEnv().MAX_NODE_BODY_BYTES);
  const url = new URL(req.url);
  const node = await authenticateNode({ headers: req.headers, method: req.method, path: url.pathname + url.search, body });
  const { id } = await params;
  const download = await openModelDownload({ node, modelId: id, range: req.headers.get("range") });
  const headers: Record<string, string> = {
    "accept-ranges": "bytes",
    etag: `"${id}"`,
    // Authorised per node and per job: no shared cache may keep it.
    "cache-control": "private, no-store",
  };
  if (download.kind === "unsatisfiable") {
    return Response.json(
      { error: { code: "RANGE_NOT_SATISFIABLE", message: `range not satisfiable: ${download.reason}`, requestId: ctx.requestId } },
      { status: 416, headers: { ...headers, "content-range": `bytes */${download.size}` } },
    );
  }
  // The client going away ends the read: no file handle outlives its request.
  req.signal.addEventListener("abort", () => download.body.destroy(), { once: true });
  const stream = Readable.toWeb(download.body) as ReadableStream<Uint8Array>;
  headers["content-type"] = "application/octet-stream";
  if (download.kind === "full") {
    return new Response(stream, { status: 200, headers: { ...headers, "content-length": String(download.size) } });
  }
  const { start, end } = download.range;
  return new Response(stream, {
    status: 206,
    headers: { ...headers, "content-length": String(end - start + 1), "content-range": `bytes ${start}-${end}/${download.size}` },
  });
});
