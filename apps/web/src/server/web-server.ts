// The web process: one Node HTTP server. The data plane (http/data-plane.ts) is served by
// its route handlers directly, and workers' node sessions (http/node-session-server.ts) on
// its WebSocket upgrades; every other request — pages, tRPC, the rest of the API — by
// Next.js, built beforehand (`next build`), exactly as `next start` would serve it.
// WEB_PROCESSES > 1 runs that many of it on the one port (node:cluster, http/web-cluster.ts).
//   PORT=3000 node --import tsx apps/web/src/server/web-server.ts --host 0.0.0.0
import cluster from "node:cluster";
import { EventEmitter } from "node:events";
import { createServer, type Server } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import next from "next";
import { getEnv } from "./env.ts";
import { errorResponse } from "./errors.ts";
import { installClientAddressStamp } from "./http/client-address.ts";
import { matchDataPlane, originFor, serveDataPlane } from "./http/data-plane.ts";
import { attachNodeSessions } from "./http/node-session-server.ts";
import { runWebCluster, WEB_STOP_MESSAGE } from "./http/web-cluster.ts";
import { logger } from "./logger.ts";
import { startDispatchLeadership, stopDispatchLeadership } from "./services/dispatch/dispatch-leader.ts";

const WEB_DIR = join(dirname(fileURLToPath(import.meta.url)), "../..");

const { values } = parseArgs({ options: { host: { type: "string", default: "127.0.0.1" } } });
const host = values.host ?? "127.0.0.1";
// A bad variable stops the server here, with the reason. PORT is the port served, and the
// one the trusted origins of sign-in are derived from when PROOFGRID_URL is unset
// (request-origin.ts): one value for both, as under `next start`.
const port = Number(getEnv().PORT ?? 3000);
const processes = getEnv().WEB_PROCESSES;

if (processes > 1 && cluster.isPrimary) runWebCluster({ processes, host, port });
else await serve();

/** One web server: the whole of it, in this process (or in one worker of the cluster). */
async function serve(): Promise<void> {
  installClientAddressStamp();

  // Next.js attaches its own `upgrade` listener to the server of the first request it serves,
  // and that listener ends every upgrade it has no route for, ours included (a worker saw
  // "socket hang up"). It gets this emitter instead, and the upgrades that are not node
  // sessions are passed on to it below.
  const nextUpgrades = new EventEmitter();
  const app = next({ dev: false, dir: WEB_DIR, hostname: host, port, httpServer: nextUpgrades as unknown as Server });
  const nextHandler = app.getRequestHandler();
  await app.prepare();

  // Handlers build absolute URLs from the request's address; the Host header names it as
  // the client saw it, as under `next start`.
  const server = createServer((req, res) => {
    const match = matchDataPlane(req.method, req.url);
    if (!match) {
      void nextHandler(req, res);
      return;
    }
    const origin = originFor(req.headers.host, `http://${host}:${port}`);
    serveDataPlane(match, req, res, origin).catch(async (err: unknown) => {
      // The handlers answer their own errors (handle()); this is what escaped one.
      logger.error({ err, path: req.url }, "data plane: unhandled error");
      const answer = errorResponse(err);
      if (!res.headersSent) res.writeHead(answer.status, { "content-type": "application/json" });
      res.end(await answer.text());
    });
  });
  server.keepAliveTimeout = 65_000;
  // Workers' node sessions (one WebSocket per node, GET /api/node/session): the data plane's
  // node protocol without an HTTP request and a nonce write per call.
  const sessions = attachNodeSessions(server, {
    otherwise: (req, socket, head) => {
      if (nextUpgrades.listenerCount("upgrade") > 0) nextUpgrades.emit("upgrade", req, socket, head);
      else socket.destroy();
    },
  });
  // Under the cluster each answer names the worker that gave it (its cluster id, 1, 2, …;
  // a restarted worker takes the next): which process served a request, for an operator
  // and for the test that both do (tests/e2e/web-processes.test.ts).
  const worker = cluster.worker;
  if (worker) server.prependListener("request", (_req, res) => res.setHeader("x-proofgrid-web-process", String(worker.id)));
  server.listen(port, host, () => {
    logger.info({ port, host }, "web: listening (data plane direct, the rest through Next.js)");
  });
  // The indexer's dispatcher, led by one web process at a time (DISPATCH_IN).
  startDispatchLeadership();

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    stopDispatchLeadership();
    sessions.close();
    server.close();
    server.closeAllConnections();
    void app.close().finally(() => process.exit(0));
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, stop);
  }
  // A cluster worker stops when its primary asks, too: a signal sent to the primary alone.
  // (A signal to the whole group reaches it both ways; stopping twice is stopping once.)
  process.on("message", (m) => {
    if (m === WEB_STOP_MESSAGE) stop();
  });
}
