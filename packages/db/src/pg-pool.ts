// The one way this project builds a node-postgres pool (Prisma has its own, in its adapter).
import pg from "pg";

// Every timestamp column is `timestamp` (without time zone) and holds UTC, as Prisma writes
// it. node-postgres would read one as the process's local time and write a Date in the local
// zone: on a machine outside UTC every row written or read here would be off by the offset
// against Prisma's and the server's `now()` (a registration token's expiry, the outbox
// order). So: read as UTC, write as UTC, and every session in UTC (for `now()::timestamp`).
pg.types.setTypeParser(pg.types.builtins.TIMESTAMP, (value: string) => new Date(`${value.replace(" ", "T")}Z`));
pg.defaults.parseInputDatesAsUTC = true;
export const SESSION_OPTIONS = "-c TimeZone=UTC";

export interface CreatePgPoolOptions {
  max?: number;
  /** Connections idle this long are closed. */
  idleTimeoutMs?: number;
  /** Bound on waiting for a connection from a full pool or a slow server. */
  connectionTimeoutMs?: number;
}

/**
 * A node-postgres pool for what Prisma does not do: raw multi-statement SQL and
 * LISTEN/NOTIFY (hold one client from `pool.connect()` for LISTEN; release it on close).
 */
export function createPgPool(url: string, options: CreatePgPoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    options: SESSION_OPTIONS,
    max: options.max ?? 10,
    idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
  });
  // An idle client that loses its connection (server restart) emits 'error' on the pool;
  // unhandled, that would crash the process. The pool drops the client by itself.
  pool.on("error", () => {});
  // A client the pool hands out has no listener of the pool's until it comes back. The
  // caller's own (sqlTransaction's) is attached a microtask later, once its `await` resumes:
  // if the server's "terminating connection" arrives in the same read as the ReadyForQuery
  // that completed the connection (a restart while connecting), the 'error' is emitted in
  // between and, unheard, kills the process (CI saw a ledger writer die so). Every client
  // keeps a listener for life; the client is marked unqueryable by the error itself, so its
  // next query fails and the pool drops it on release.
  pool.on("connect", (client) => {
    client.on("error", () => {});
  });
  return pool;
}
