import cluster, { type Worker } from "node:cluster";
import { logger } from "../logger.ts";

// WEB_PROCESSES > 1: web-server.ts's process becomes a node:cluster primary that serves
// nothing itself. It forks that many workers, each running the whole web server (Next.js
// and the data plane) on the same port; the primary accepts the connections and hands them
// to the workers in turn (round-robin, Node's default outside Windows). A keep-alive
// connection stays with the worker that took it. The workers share nothing but Postgres:
// rate limits and sign-in throttles are counted there, NOTIFY reaches each worker's LISTEN
// connection, and uploads are locked with advisory locks (README, "Growing past one machine").

/** What the primary sends a worker to stop it as SIGINT/SIGTERM would. */
export const WEB_STOP_MESSAGE = "proofgrid:web-stop";

/** A worker that dies is forked again after this pause… */
const RESTART_DELAY_MS = 500;
/** …unless more than this many died within the last minute: a crash loop (a taken port, a
 * broken build) stops the web process with an error instead of forking forever. */
const MAX_DEATHS_PER_MINUTE = 5;
/** After SIGINT/SIGTERM the workers have this long to close, then they are killed. */
const STOP_GRACE_MS = 10_000;

/**
 * Runs the primary: `processes` workers, each one restarted when it dies; SIGINT or SIGTERM
 * stops them all (a second signal kills them) and exits once the last one has.
 */
export function runWebCluster(opts: { processes: number; host: string; port: number }): void {
  const live = new Set<Worker>();
  const deaths: number[] = [];
  let stopping = false;

  const fork = () => {
    const worker = cluster.fork();
    live.add(worker);
    worker.once("listening", () => logger.info({ worker: worker.id, pid: worker.process.pid }, "web: worker listening"));
  };

  const stopAll = (code: number) => {
    stopping = true;
    if (live.size === 0) process.exit(code);
    for (const w of live) {
      // The channel may already be gone (the worker is exiting): its 'exit' still comes.
      if (w.isConnected()) w.send(WEB_STOP_MESSAGE, () => undefined);
    }
    setTimeout(() => {
      for (const w of live) w.process.kill("SIGKILL");
    }, STOP_GRACE_MS).unref();
    const exitWhenEmpty = () => {
      if (live.size === 0) process.exit(code);
    };
    cluster.on("exit", exitWhenEmpty);
  };

  cluster.on("exit", (worker, code, signal) => {
    live.delete(worker);
    if (stopping) return;
    const now = Date.now();
    deaths.push(now);
    while (deaths.length > 0 && (deaths[0] ?? now) < now - 60_000) deaths.shift();
    if (deaths.length > MAX_DEATHS_PER_MINUTE) {
      logger.fatal({ worker: worker.id, code, signal, deaths: deaths.length }, "web: workers keep dying; stopping");
      stopAll(1);
      return;
    }
    logger.error({ worker: worker.id, pid: worker.process.pid, code, signal }, "web: worker died; starting another");
    // Not unref'd: with every worker dead the primary holds no other handle and would exit.
    setTimeout(() => {
      if (!stopping) fork();
    }, RESTART_DELAY_MS);
  });

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (!stopping) {
        stopAll(0);
        return;
      }
      // A second signal: no more waiting.
      for (const w of live) w.process.kill("SIGKILL");
      process.exit(1);
    });
  }

  logger.info({ processes: opts.processes, port: opts.port, host: opts.host }, "web: starting worker processes");
  for (let i = 0; i < opts.processes; i++) fork();
}
