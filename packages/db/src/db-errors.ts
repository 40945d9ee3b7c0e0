/**
 * Errors that mean "the database cannot be reached right now", not "this request is
 * wrong": the server restarting or shutting down (57P01 admin shutdown, 57P02 crash
 * shutdown, 57P03 cannot connect now, 08xxx connection exceptions), a connection refused,
 * reset or cut, a pooled client that lost its connection, and Prisma's P1001/P1017 or its
 * driver adapter's DatabaseNotReachable. Measured in tests/e2e/postgres-restart.test.ts:
 * each restart answered a few hundred requests with a 500 and logged each with a stack
 * trace of 3 KB (Prisma's message quotes the minified source); a 503 with Retry-After
 * tells clients and workers to retry, which they do on any 5xx. Over a Unix socket (the
 * embedded server's), a server that is down has no socket file (connect's ENOENT), and one
 * whose accept queue is full refuses at once (EAGAIN).
 */
const PG_CODES = new Set(["57P01", "57P02", "57P03", "08000", "08001", "08003", "08004", "08006", "08007"]);
const NODE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH"]);
const PRISMA_CODES = new Set(["P1001", "P1002", "P1017"]);
const MESSAGES = [
  "Connection terminated unexpectedly",
  "Connection terminated due to connection timeout",
  "Client has encountered a connection error and is not queryable",
  "timeout exceeded when trying to connect",
];
/** Causes are followed this deep (Prisma and the adapter wrap the driver's error). */
const MAX_DEPTH = 4;

export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (typeof err !== "object" || err === null || depth > MAX_DEPTH) return false;
  const e = err as {
    code?: unknown;
    syscall?: unknown;
    message?: unknown;
    cause?: unknown;
    meta?: { driverAdapterError?: { cause?: { kind?: unknown; code?: unknown } } };
  };
  const code = typeof e.code === "string" ? e.code : "";
  if (PG_CODES.has(code) || NODE_CODES.has(code) || PRISMA_CODES.has(code)) return true;
  // Only a connect's (Prisma keeps the code and the message, not the syscall): a missing file
  // anywhere else is no outage.
  // EAGAIN: a Unix socket's accept queue full (over TCP a connect would wait instead).
  if (
    (code === "ENOENT" || code === "EAGAIN") &&
    (e.syscall === "connect" || (typeof e.message === "string" && e.message.includes(`connect ${code}`)))
  )
    return true;
  // Prisma's driver adapter keeps the server's SQLSTATE under meta (as P2039 "unknown").
  const adapter = e.meta?.driverAdapterError?.cause;
  if (adapter?.kind === "DatabaseNotReachable") return true;
  if (typeof adapter?.code === "string" && PG_CODES.has(adapter.code)) return true;
  if (typeof e.message === "string" && MESSAGES.some((m) => (e.message as string).includes(m))) return true;
  return isDatabaseUnavailable(e.cause, depth + 1);
}

/**
 * A unique constraint refused the write (SQLSTATE 23505 from node-postgres, P2002 from
 * Prisma, or the SQLSTATE its driver adapter keeps under meta), following wrapped causes:
 * "someone else created it first", which callers answer by reading what won.
 */
export function isUniqueViolation(err: unknown, depth = 0): boolean {
  if (typeof err !== "object" || err === null || depth > MAX_DEPTH) return false;
  const e = err as {
    code?: unknown;
    cause?: unknown;
    meta?: { driverAdapterError?: { cause?: { originalCode?: unknown; code?: unknown } } };
  };
  if (e.code === "23505" || e.code === "P2002") return true;
  const adapter = e.meta?.driverAdapterError?.cause;
  if (adapter?.originalCode === "23505" || adapter?.code === "23505") return true;
  return isUniqueViolation(e.cause, depth + 1);
}
