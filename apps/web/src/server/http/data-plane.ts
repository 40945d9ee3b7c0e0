import type { IncomingMessage, ServerResponse } from "node:http";
import * as nodeCheckLease from "~/app/api/node/checks/lease/route";
import * as nodeCheckReport from "~/app/api/node/checks/report/route";
import * as nodeComplete from "~/app/api/node/complete/route";
import * as nodeFail from "~/app/api/node/fail/route";
import * as nodeGoodbye from "~/app/api/node/goodbye/route";
import * as nodeHeartbeat from "~/app/api/node/heartbeat/route";
import * as nodeLease from "~/app/api/node/lease/route";
import * as nodeRegister from "~/app/api/node/register/route";
import * as job from "~/app/api/v1/jobs/[id]/route";
import * as jobsBatch from "~/app/api/v1/jobs/batch/route";
import * as jobs from "~/app/api/v1/jobs/route";
import * as openAiEmbeddings from "~/app/v1/embeddings/route";
import * as oipInfer from "~/app/v2/models/[name]/infer/route";
import * as oipVersionInfer from "~/app/v2/models/[name]/versions/[version]/infer/route";

// The data plane: the requests every job makes (a customer's submit and wait, a worker's
// lease, heartbeat and completion, a checker's lease and report) are served by the same
// route handlers Next.js serves, called straight from Node's HTTP server. Next's router,
// its proxy and its response piping cost the web process about half its CPU per job
// (README, "npm run bench:overhead"); everything else — pages, tRPC, the rest of the REST
// API — still goes to Next. The handlers are the App Router's own (web Request in, web
// Response out), so one handler serves both ways and the tests of either hold for both.

type Handler = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;
type RouteModule = Partial<Record<string, unknown>>;

interface Route {
  /** Matched against the path alone; named groups become the handler's params. */
  pattern: RegExp;
  module: RouteModule;
}

const ROUTES: Route[] = [
  { pattern: /^\/api\/v1\/jobs$/, module: jobs },
  // Before /jobs/{id}, which would take "batch" for an id.
  { pattern: /^\/api\/v1\/jobs\/batch$/, module: jobsBatch },
  { pattern: /^\/api\/v1\/jobs\/(?<id>[^/]+)$/, module: job },
  { pattern: /^\/api\/node\/lease$/, module: nodeLease },
  { pattern: /^\/api\/node\/complete$/, module: nodeComplete },
  { pattern: /^\/api\/node\/heartbeat$/, module: nodeHeartbeat },
  { pattern: /^\/api\/node\/fail$/, module: nodeFail },
  { pattern: /^\/api\/node\/goodbye$/, module: nodeGoodbye },
  { pattern: /^\/api\/node\/register$/, module: nodeRegister },
  { pattern: /^\/api\/node\/checks\/lease$/, module: nodeCheckLease },
  { pattern: /^\/api\/node\/checks\/report$/, module: nodeCheckReport },
  // The other protocols' inference: each call is a job, the same hop as a submit.
  { pattern: /^\/v1\/embeddings$/, module: openAiEmbeddings },
  { pattern: /^\/v2\/models\/(?<name>[^/]+)\/infer$/, module: oipInfer },
  { pattern: /^\/v2\/models\/(?<name>[^/]+)\/versions\/(?<version>[^/]+)\/infer$/, module: oipVersionInfer },
];

const METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE"]);

export interface DataPlaneMatch {
  handler: Handler;
  params: Record<string, string>;
}

/** The data-plane handler for a request, or undefined for Next.js to serve it. */
export function matchDataPlane(method: string | undefined, url: string | undefined): DataPlaneMatch | undefined {
  if (!method || !url || !METHODS.has(method)) return undefined;
  const q = url.indexOf("?");
  const path = q === -1 ? url : url.slice(0, q);
  for (const route of ROUTES) {
    const m = route.pattern.exec(path);
    if (!m) continue;
    const handler = route.module[method];
    if (typeof handler !== "function") return undefined;
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(m.groups ?? {})) {
      try {
        params[k] = decodeURIComponent(v);
      } catch {
        return undefined; // a malformed escape: Next answers it as it always has
      }
    }
    return { handler: handler as Handler, params };
  }
  return undefined;
}

/** A host, optionally with a port (a name, IPv4 or bracketed IPv6). */
const HOST_HEADER = /^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$|^\[[0-9A-Fa-f:.]{2,45}\](:\d{1,5})?$/;

/** The origin a request's URL is read against: its Host header when that is a host, else `fallback`. */
export function originFor(hostHeader: string | undefined, fallback: string): string {
  return hostHeader && HOST_HEADER.test(hostHeader) ? `http://${hostHeader}` : fallback;
}

/**
 * Serves one request with a data-plane handler: a web Request built from the socket's
 * request (its body streamed, aborted when the client goes away), the Response written back.
 */
export async function serveDataPlane(match: DataPlaneMatch, req: IncomingMessage, res: ServerResponse, origin: string): Promise<void> {
  const abort = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) abort.abort();
  });
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string);
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  const request = new Request(new URL(req.url ?? "/", origin), {
    method: req.method,
    headers,
    body: hasBody ? (streamOf(req) as ReadableStream<Uint8Array>) : undefined,
    signal: abort.signal,
    // @ts-expect-error: Node's fetch requires `duplex` for a streamed body; the DOM types lack it.
    duplex: "half",
  });
  const response = await match.handler(request, { params: Promise.resolve(match.params) });
  const out: Record<string, string | string[]> = {};
  response.headers.forEach((value, key) => {
    if (key !== "set-cookie") out[key] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) out["set-cookie"] = cookies;
  const body = Buffer.from(await response.arrayBuffer());
  out["content-length"] = String(body.byteLength);
  res.writeHead(response.status, out);
  res.end(body);
}

/** The request's body as a web stream (Readable.toWeb, without its extra buffering). */
function streamOf(req: IncomingMessage): ReadableStream<Uint8Array> {
  let ended = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const fail = (err: Error) => {
        if (ended) return;
        ended = true;
        controller.error(err);
      };
      req.on("data", (chunk: Buffer) => {
        if (!ended) controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      });
      req.on("end", () => {
        if (ended) return;
        ended = true;
        controller.close();
      });
      req.on("error", fail);
      req.on("close", () => {
        if (!req.complete) fail(new Error("the client closed the connection"));
      });
    },
    // The handler stopped reading (a body over its limit): drop the rest. Node's server
    // discards what is still unread once the response has gone, so the client gets its 413.
    cancel() {
      ended = true;
    },
  });
}
