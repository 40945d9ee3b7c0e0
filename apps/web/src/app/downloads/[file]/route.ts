import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import { handle } from "~/server/http/handle";
import { getWorkerPackage } from "~/server/services/downloads/get-worker-package";

export const dynamic = "force-dynamic";

type Params = { params: Promise<{ file: string }> };

/**
 * Public: the packed worker (`npm run pack:worker`), what the provider portal's commands
 * install. `proofgrid-worker.tgz` is the latest build; `proofgrid-worker-<version>.tgz` a
 * pinned one. Revalidated on every use (ETag), so a rebuilt package is never served stale.
 */
async function serve(req: Request, params: Params["params"], withBody: boolean): Promise<Response> {
  const pkg = getWorkerPackage((await params).file);
  const headers = {
    "content-type": "application/gzip",
    "content-length": String(pkg.bytes),
    "content-disposition": `attachment; filename="${pkg.file}"`,
    "cache-control": "public, no-cache",
    etag: pkg.etag,
    "x-proofgrid-worker-version": pkg.version,
  };
  if (req.headers.get("if-none-match") === pkg.etag)
    return new Response(null, { status: 304, headers: { etag: pkg.etag, "cache-control": headers["cache-control"] } });
  if (!withBody) return new Response(null, { headers });
  return new Response(Readable.toWeb(createReadStream(pkg.path)) as ReadableStream, { headers });
}

export const GET = handle((req, _ctx, { params }: Params) => serve(req, params, true));
export const HEAD = handle((req, _ctx, { params }: Params) => serve(req, params, false));
