import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@proofgrid/db/embedded";
import {
  signalGroup,
  type Spawned,
  spawnCoordinator,
  spawnProcess,
  spawnWeb,
  spawnWorker,
  waitForHttp,
  workerArgs,
} from "../../scripts/lib/processes.ts";
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

export interface StackOptions {
  /** Short leases make crash tests fast; production default is 15 s. */
  leaseMs?: number;
  env?: Record<string, string>;
  /** Defaults to a fresh clone of the test template (inside vitest). */
  database?: { url: string; drop(): Promise<void> };
  /** Start the coordinator (lease sweeper); default true. */
  coordinator?: boolean;
  /** The web process's server (scripts/lib/processes.ts spawnWeb); `next-start` is the benchmarks' baseline. */
  webServer?: "web-server" | "next-start";
}

export interface AddNodeOptions {
  /** false: registered and staked, not started. */
  start?: boolean;
  role?: "worker" | "checker";
  /** The provider organisation (default: the demo provider; checkers: the demo checker operator). */
  orgId?: string;
  /** Claimed capability at registration (default 3600, the reference machine). */
  cuPerHour?: number;
  /** false: register without bonding the minimum stake. */
  stake?: boolean;
  /** Run this script (node --import tsx) instead of the worker daemon: the cheating nodes. */
  script?: string;
  scriptArgs?: string[];
  /** Declared region (default `local`: the platform's own region). */
  region?: string;
  /** Asking price per CU in base units (default: the list price). */
  askPricePerCu?: number;
  /**
   * The platform URL the node registers with and then talks to (saved in its node.json):
   * a proxy in front of the web app, say (tests/support/tcp-proxy.ts). Default: the web app's.
   */
  platformUrl?: string;
}

export interface WorkerHandle {
  name: string;
  nodeDir: string;
  nodeId: string;
  proc: Spawned;
  logs: string[];
}

/**
 * A real marketplace for one test file: a fresh database cloned from the migrated
 * template, the production web build on a free port, the coordinator, and worker
 * processes registered through the real protocol.
 */
export async function startStack(opts: StackOptions = {}) {
  const database = opts.database ?? (await (await import("@proofgrid/db/testing/create-test-database")).createTestDatabase());
  const dataDir = mkdtempSync(join(tmpdir(), "proofgrid-e2e-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    DATABASE_URL: database.url,
    PROOFGRID_DATA_DIR: dataDir,
    LEASE_DURATION_MS: String(opts.leaseMs ?? 3_000),
    SWEEP_INTERVAL_MS: "250",
    LOG_LEVEL: "info",
    // Challenges (registration, standby, canaries) only where a test asks for them: the
    // older flows count jobs exactly.
    POR_CHALLENGES: "0",
    // Public feeds without their production delay and in 1 s buckets, so the tests that read
    // the explorer, the market and diagnostics see their jobs at once. Tests of the delay
    // itself set their own.
    PUBLIC_FEED_DELAY_MS: "0",
    PUBLIC_FEED_BUCKET_MS: "1000",
    ...opts.env,
  };
  for (const [k, v] of Object.entries(env)) if (k.startsWith("POR_") || k === "PRICE_PER_CU_BASE_UNITS") process.env[k] = v;
  const webLogs: string[] = [];
  let web = spawnWeb({ port, env, output: "pipe", onLine: (l) => webLogs.push(l), server: opts.webServer });
  await waitForHttp(`${url}/api/health`, { timeoutMs: 60_000, process: web });
  /** Stops the web app (an outage as workers see it; `kill`: with SIGKILL) and starts it again on the same port. */
  async function restartWeb(downMs: number, how: { kill?: boolean } = {}): Promise<void> {
    if (how.kill) {
      // kill -9 of the web process (its whole group): no shutdown hook runs.
      signalGroup(web.child, "SIGKILL");
      await web.exited;
    } else await web.stop(5_000);
    await new Promise((r) => setTimeout(r, downMs));
    web = spawnWeb({ port, env, output: "pipe", onLine: (l) => webLogs.push(l), server: opts.webServer });
    await waitForHttp(`${url}/api/health`, { timeoutMs: 60_000, process: web });
  }
  const coordinatorLogs: string[] = [];
  const coordinator =
    opts.coordinator === false ? undefined : spawnCoordinator({ env, output: "pipe", onLine: (l) => coordinatorLogs.push(l) });

  // Seed through the same service `npm start` uses, in this process, against the test database.
  process.env.DATABASE_URL = database.url;
  process.env.PROOFGRID_DATA_DIR = dataDir;
  (await import("../../apps/web/src/server/env.ts")).resetEnvCache();
  const { seedDemo, demoRegistrationToken, stakeMinimumFor } = await import("../../apps/web/src/server/services/seed/seed-demo.ts");
  const seed = await seedDemo();
  const workers: WorkerHandle[] = [];

  async function addWorker(name: string, extraEnv: Record<string, string> = {}, opts: AddNodeOptions = {}): Promise<WorkerHandle> {
    const role = opts.role ?? "worker";
    const nodeDir = join(dataDir, `node-${name}`);
    const token = await demoRegistrationToken(opts.orgId ?? (role === "checker" ? seed.checkerOrgId : seed.providerOrgId), url, role);
    const wenv = { ...process.env, PROOFGRID_URL: opts.platformUrl ?? url, PROOFGRID_NODE_DIR: nodeDir, ...extraEnv };
    // A fixed claimed capability skips the registration benchmark (measured elsewhere).
    // Async: a blocking spawn would stall this process's open database transactions.
    let stdout: string;
    try {
      ({ stdout } = await execFileAsync(
        process.execPath,
        workerArgs([
          "register",
          "--token",
          token,
          "--name",
          name,
          "--region",
          opts.region ?? "local",
          "--cu-per-hour",
          String(opts.cuPerHour ?? 3600),
          ...(opts.askPricePerCu === undefined ? [] : ["--ask-price", String(opts.askPricePerCu)]),
        ]),
        { env: wenv, encoding: "utf8" },
      ));
    } catch (err) {
      throw new Error(`register failed: ${(err as { stderr?: string }).stderr ?? String(err)}`);
    }
    const nodeId = (JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as { nodeId: string }).nodeId;
    // What a provider does before its node can take work: bond the minimum stake.
    if (opts.stake !== false) await stakeMinimumFor(nodeId);
    const logs: string[] = [];
    const proc =
      opts.start === false
        ? spawnWorker(["--help"], { env: wenv, output: "ignore" })
        : opts.script
          ? spawnProcess(name, ["--import", "tsx", opts.script, ...(opts.scriptArgs ?? [])], {
              env: wenv,
              output: "pipe",
              onLine: (l) => logs.push(l),
            })
          : spawnWorker(["start", "--role", role], { env: wenv, output: "pipe", onLine: (l) => logs.push(l) });
    const handle = { name, nodeDir, nodeId, proc, logs };
    workers.push(handle);
    return handle;
  }

  /** Restarts a worker's daemon with its saved identity (after a crash). */
  function restartWorker(w: WorkerHandle, extraEnv: Record<string, string> = {}): WorkerHandle {
    const logs: string[] = [];
    const proc = spawnWorker(["start"], {
      env: { PROOFGRID_URL: url, PROOFGRID_NODE_DIR: w.nodeDir, ...extraEnv },
      output: "pipe",
      onLine: (l) => logs.push(l),
    });
    const handle = { ...w, proc, logs };
    workers.push(handle);
    return handle;
  }

  async function stop(): Promise<void> {
    await Promise.all(workers.map((w) => w.proc.stop(5_000)));
    await coordinator?.stop(5_000);
    await web.stop(5_000);
    const { disconnectPrisma } = await import("@proofgrid/db/client");
    const { closePgPool } = await import("@proofgrid/db/sql-client");
    await disconnectPrisma();
    await closePgPool();
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }

  return {
    url,
    database,
    seed,
    apiKey: seed.apiKey,
    get web() {
      return web;
    },
    restartWeb,
    webLogs,
    coordinator,
    coordinatorLogs,
    addWorker,
    restartWorker,
    workers,
    stop,
  };
}

export type Stack = Awaited<ReturnType<typeof startStack>>;

/** fetch with the stack's API key and JSON. */
export async function api<T = unknown>(
  stack: Stack,
  path: string,
  init: { method?: string; body?: unknown; key?: string | null; timeoutMs?: number } = {},
) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  const key = init.key === undefined ? stack.apiKey : init.key;
  if (key) headers.authorization = `Bearer ${key}`;
  const res = await fetch(`${stack.url}${path}`, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: init.timeoutMs === undefined ? undefined : AbortSignal.timeout(init.timeoutMs),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // keep text
  }
  return { status: res.status, body: body as T };
}
