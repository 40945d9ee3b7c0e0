import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
export const WEB_DIR = join(ROOT, "apps/web");
const NEXT_BIN = join(ROOT, "node_modules/next/dist/bin/next");
const BUILD_STAMP = join(WEB_DIR, ".next/proofgrid-source-hash");

// What the production build depends on: a change in any of these means rebuild.
const SOURCE_ROOTS = [
  "apps/web/src",
  "apps/web/next.config.ts",
  "apps/web/postcss.config.mjs",
  "apps/web/package.json",
  "packages/db/src",
  "packages/por/src",
  "packages/models/src",
  "packages/chain/src",
  "prisma/schema.prisma",
  "package-lock.json",
];

function hashTree(path: string, h: ReturnType<typeof createHash>): void {
  if (!existsSync(path)) return;
  const st = statSync(path);
  if (st.isDirectory()) {
    for (const name of readdirSync(path).sort()) {
      if (name === "node_modules" || name === ".next" || name.endsWith(".test.ts")) continue;
      hashTree(join(path, name), h);
    }
  } else {
    h.update(path.slice(ROOT.length));
    h.update(readFileSync(path));
  }
}

export function webSourceHash(): string {
  const h = createHash("sha256");
  for (const p of SOURCE_ROOTS) hashTree(join(ROOT, p), h);
  return h.digest("hex");
}

const WORKER_PACK_DIR = join(ROOT, "apps/worker/pack");
const WORKER_PACK_STAMP = join(WORKER_PACK_DIR, ".source-hash");
// What the packed worker is built from (scripts/pack-worker.ts).
const WORKER_SOURCE_ROOTS = [
  "apps/worker/src",
  "apps/worker/package.json",
  "packages/por/src",
  "packages/models/src",
  "package-lock.json",
  "scripts/pack-worker.ts",
];

export function workerSourceHash(): string {
  const h = createHash("sha256");
  for (const p of WORKER_SOURCE_ROOTS) hashTree(join(ROOT, p), h);
  return h.digest("hex");
}

/**
 * Packs the worker providers install (`npm run pack:worker`, about 15 s) when its sources
 * changed since the last pack: the web app serves it at /downloads/proofgrid-worker.tgz.
 * Returns the tarball's path.
 */
export function ensureWorkerPack(log: (msg: string) => void = console.log): string {
  const hash = workerSourceHash();
  const latest = join(WORKER_PACK_DIR, "latest.json");
  const tarball = () => join(WORKER_PACK_DIR, (JSON.parse(readFileSync(latest, "utf8")) as { file: string }).file);
  if (existsSync(WORKER_PACK_STAMP) && readFileSync(WORKER_PACK_STAMP, "utf8") === hash && existsSync(latest) && existsSync(tarball()))
    return tarball();
  log("packing the worker for providers (first start or worker sources changed)...");
  const res = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "scripts/pack-worker.ts")], {
    cwd: ROOT,
    stdio: ["ignore", 2, 2],
  });
  if (res.status !== 0) throw new Error(`packing the worker failed with exit code ${res.status}`);
  writeFileSync(WORKER_PACK_STAMP, hash);
  return tarball();
}

/** Builds the Next app when its sources changed since the last build (about a minute), and packs the worker it serves. */
export function ensureWebBuild(log: (msg: string) => void = console.log): void {
  ensureWorkerPack(log);
  const hash = webSourceHash();
  if (existsSync(BUILD_STAMP) && readFileSync(BUILD_STAMP, "utf8") === hash) return;
  log("building the web app (first start or sources changed; about a minute)...");
  const res = spawnSync(process.execPath, [NEXT_BIN, "build"], {
    cwd: WEB_DIR,
    // Build output to stderr: stdout stays clean for JSON (benchmarks).
    stdio: ["ignore", 2, 2],
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", DATABASE_URL: process.env.DATABASE_URL ?? "postgres://build-time-unused/none" },
  });
  if (res.status !== 0) throw new Error(`next build failed with exit code ${res.status}`);
  writeFileSync(BUILD_STAMP, hash);
}

export interface Spawned {
  name: string;
  child: ChildProcess;
  /** SIGTERM, then SIGKILL after `graceMs`. Resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
  exited: Promise<number | null>;
}

export function spawnProcess(
  name: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string | undefined>; output?: "inherit" | "pipe" | "ignore"; onLine?: (line: string) => void },
): Spawned {
  const child = spawn(process.execPath, args, {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ["ignore", opts.output ?? "inherit", opts.output ?? "inherit"],
    // Own process group: a terminal Ctrl-C reaches only the orchestrator, which then stops
    // each child once (a second signal would force the worker to exit without draining).
    detached: true,
  });
  if (opts.onLine && child.stdout && child.stderr) {
    for (const stream of [child.stdout, child.stderr]) {
      let buf = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => {
        buf += chunk;
        let i = buf.indexOf("\n");
        while (i >= 0) {
          opts.onLine?.(buf.slice(0, i));
          buf = buf.slice(i + 1);
          i = buf.indexOf("\n");
        }
      });
    }
  }
  const exited = new Promise<number | null>((res) => child.once("exit", (code) => res(code)));
  return {
    name,
    child,
    exited,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      signalGroup(child, "SIGTERM");
      const timer = setTimeout(() => signalGroup(child, "SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Signals the child's process group (it was spawned detached, so it leads one). */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

export function spawnWeb(opts: {
  port: number;
  host?: string;
  env: Record<string, string | undefined>;
  output?: "inherit" | "pipe" | "ignore";
  onLine?: (l: string) => void;
  /** `next-start`: everything through `next start`, the data plane included (the baseline
   * `npm run bench:overhead` compares against); default, the web process's own server. */
  server?: "web-server" | "next-start";
}): Spawned {
  const port = String(opts.port);
  const host = opts.host ?? "127.0.0.1";
  const args =
    opts.server === "next-start"
      ? [NEXT_BIN, "start", "-p", port, "-H", host]
      : ["--import", "tsx", join(WEB_DIR, "src/server/web-server.ts"), "--host", host];
  return spawnProcess("web", args, {
    cwd: WEB_DIR,
    // The built app is a production build: React's production bundles need NODE_ENV to say
    // so (`next start` sets it itself).
    env: { NEXT_TELEMETRY_DISABLED: "1", PROOFGRID_SERVICE: "web", ...opts.env, NODE_ENV: "production", PORT: port },
    output: opts.output,
    onLine: opts.onLine,
  });
}

export function spawnCoordinator(opts: {
  env: Record<string, string | undefined>;
  output?: "inherit" | "pipe" | "ignore";
  onLine?: (l: string) => void;
}): Spawned {
  // `node --import tsx` keeps it one process: the tsx CLI would relay signals to a child,
  // and a group signal would then arrive twice (the second one forces exit).
  return spawnProcess("coordinator", ["--import", "tsx", join(ROOT, "apps/web/src/server/coordinator/main.ts")], {
    env: { PROOFGRID_SERVICE: "coordinator", ...opts.env },
    output: opts.output,
    onLine: opts.onLine,
  });
}

export function workerArgs(args: string[]): string[] {
  return [join(ROOT, "apps/worker/bin/proofgrid-worker.mjs"), ...args];
}

export function spawnWorker(
  args: string[],
  opts: { env?: Record<string, string | undefined>; output?: "inherit" | "pipe" | "ignore"; onLine?: (l: string) => void } = {},
): Spawned {
  return spawnProcess("worker", workerArgs(args), { env: opts.env, output: opts.output, onLine: opts.onLine });
}

/** Polls `url` until it answers 2xx, the process dies, or `timeoutMs` passes. */
export async function waitForHttp(url: string, opts: { timeoutMs: number; process?: Spawned }): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    if (opts.process && opts.process.child.exitCode !== null)
      throw new Error(`${opts.process.name} exited with code ${opts.process.child.exitCode}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      if (res.ok) return;
      last = `${res.status}`;
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} not ready after ${opts.timeoutMs} ms (${last})`);
}
