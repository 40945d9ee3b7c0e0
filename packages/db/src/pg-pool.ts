// The one way this project builds a node-postgres pool (Prisma has its own, in its adapter).
import pg from "pg";

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
    max: options.max ?? 10,
    idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
  });
  // An idle client that loses its connection (server restart) emits 'error' on the pool;
  // unhandled, that would crash the process. The pool drops the client by itself.
  pool.on("error", () => {});
  return pool;
}
