import { createHash } from "node:crypto";
import { AsyncLocalStorage } from "node:async_hooks";
import type pg from "pg";
import type { Db } from "./db-types.ts";
import { createPgPool } from "./pg-pool.ts";

/**
 * Statements are named prepared statements (pg prepares each once per connection and then
 * only binds and executes it): Postgres parses and plans a statement's text once per
 * connection instead of on every call — most of its CPU for the small statements of a job's
 * hot path (issue 15). The name is a hash of the text, so one text is one statement. The
 * texts come from the code's templates and fragments, a bounded set; past the bound a text
 * runs unnamed, as before.
 */
const MAX_NAMED_STATEMENTS = 2_000;
const statementNames = new Map<string, string>();

function statementName(text: string): string | undefined {
  const known = statementNames.get(text);
  if (known !== undefined) return known || undefined;
  if (statementNames.size >= MAX_NAMED_STATEMENTS) return undefined;
  const name = `pg_${createHash("sha256").update(text).digest("base64url").slice(0, 22)}`;
  statementNames.set(text, name);
  return name;
}

/** Turns a tagged template into `$1..$n` text and parameters (values are never spliced), named. */
function toQuery(strings: TemplateStringsArray, values: readonly unknown[]): { name?: string; text: string; values: unknown[] } {
  let text = strings[0] ?? "";
  for (let i = 0; i < values.length; i++) text += `$${i + 1}${strings[i + 1] ?? ""}`;
  return { name: statementName(text), text, values: values.map(toParam) };
}

function toParam(v: unknown): unknown {
  if (typeof v === "bigint") return v.toString();
  if (Array.isArray(v)) return v.map(toParam);
  return v;
}

/**
 * A prepared statement whose result's row type changed under it (a migration altered a
 * column it returns): Postgres refuses it on every connection that prepared it, until the
 * connection closes (SQLSTATE 0A000, "cached plan must not change result type").
 */
function isStalePlan(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  return e?.code === "0A000" && typeof e.message === "string" && e.message.includes("cached plan must not change result type");
}

/** Raw SQL over one pg connection or a pool, with Prisma's tagged-template API. */
export class SqlClient implements Db {
  constructor(private readonly conn: pg.Pool | pg.PoolClient) {}

  async $queryRaw<T = unknown>(strings: TemplateStringsArray, ...values: unknown[]): Promise<T> {
    const res = await this.run(toQuery(strings, values));
    return res.rows as T;
  }

  async $executeRaw(strings: TemplateStringsArray, ...values: unknown[]): Promise<number> {
    const res = await this.run(toQuery(strings, values));
    return res.rowCount ?? 0;
  }

  /**
   * A statement whose prepared plan went stale runs unnamed from then on in this process, and
   * again at once when that is safe: on the pool (a transaction's connection is aborted by
   * the error; its caller's retry runs it unnamed).
   */
  private async run(q: { name?: string; text: string; values: unknown[] }): Promise<pg.QueryResult> {
    try {
      return await this.conn.query(q);
    } catch (err) {
      if (!q.name || !isStalePlan(err)) throw err;
      statementNames.set(q.text, "");
      if (!isPool(this.conn)) throw err;
      return this.conn.query({ text: q.text, values: q.values });
    }
  }
}

function isPool(conn: pg.Pool | pg.PoolClient): conn is pg.Pool {
  return typeof (conn as pg.Pool).totalCount === "number";
}

const globalForPool = globalThis as typeof globalThis & { __proofgridPgPool?: { url: string; pool: pg.Pool } };

/**
 * A running transaction of this module: its connection, its savepoint count, whether calls
 * made inside join it (`sqlTransactionScope`), and `open`, false once it has ended. Work
 * started inside a transaction and left running (a timer, a `void` promise) keeps its async
 * context after the transaction ends: `open` tells the pool the transaction is over, so that
 * work gets connections of its own again instead of a released one.
 */
interface Transaction {
  client: pg.PoolClient;
  savepoints: number;
  joinable: boolean;
  open: boolean;
}
// On globalThis, like the pool: the web process loads this module twice (Next's bundle
// and the data plane's own import, web-server.ts), and a transaction opened by either copy
// must be seen by the pool whichever copy created it.
const globalForContext = globalThis as typeof globalThis & { __proofgridSqlTransaction?: AsyncLocalStorage<Transaction> };
globalForContext.__proofgridSqlTransaction ??= new AsyncLocalStorage();
/** The transaction of this module the current call runs in, if any. */
const current = globalForContext.__proofgridSqlTransaction;

/** The `sqlTransactionScope` this call runs in, while it runs. */
function ambientScope(): Transaction | undefined {
  const t = current.getStore();
  return t?.open && t.joinable ? t : undefined;
}

/**
 * The process's one pool, for raw SQL and for Prisma (client.ts builds the Prisma client
 * over it). int8 (bigint) columns arrive as strings from pg; callers convert with BigInt(),
 * so precision is never lost to a JS number.
 */
export function getPgPool(): pg.Pool {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set");
  const cached = globalForPool.__proofgridPgPool;
  if (cached && cached.url === url) return cached.pool;
  // Two pools of 10 (Prisma's and ours) became one: the same 20 connections at most.
  const pool = joinAmbientTransactions(createPgPool(url, { max: 20 }));
  globalForPool.__proofgridPgPool = { url, pool };
  return pool;
}

export async function closePgPool(): Promise<void> {
  const cached = globalForPool.__proofgridPgPool;
  globalForPool.__proofgridPgPool = undefined;
  await cached?.pool.end();
}

/**
 * With one pool for everything, a transaction that asked the same pool for a second
 * connection could wait on itself: twenty requests each holding one connection and each
 * waiting for another would stall until the connection timeout. So, on the process's pool:
 * - a query sent to the pool inside a `sqlTransactionScope` runs on the scope's connection.
 *   Prisma sends its queries through `pool.query`, so a Prisma query made by a service that
 *   an idempotent request wraps joins that request's transaction, as `sql()` does;
 * - asking for a connection of one's own while a transaction of this module is held (a
 *   `sql()` or Prisma query inside a plain `sqlTransaction`, a Prisma `$transaction` inside
 *   any) fails at once with a message naming the fix, instead of stalling under load.
 */
function joinAmbientTransactions(pool: pg.Pool): pg.Pool {
  const connect = pool.connect.bind(pool) as (cb?: (err: Error | undefined, client?: pg.PoolClient, done?: () => void) => void) => unknown;
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  const patched = pool as unknown as { connect: typeof connect; query: typeof query };
  patched.connect = (cb) => {
    if (current.getStore()?.open) {
      const err = new NestedConnectionError();
      if (cb) {
        queueMicrotask(() => cb(err));
        return undefined;
      }
      return Promise.reject(err);
    }
    return connect(cb);
  };
  patched.query = (...args) => {
    const scope = ambientScope();
    return scope ? (scope.client.query as (...a: unknown[]) => unknown)(...args) : query(...args);
  };
  return pool;
}

export class NestedConnectionError extends Error {
  constructor() {
    super(
      "a second database connection was asked for inside a transaction (the pool could run dry and wait on itself): " +
        "run the query on the transaction's client (the tx argument), or inside sqlTransactionScope, where sql() and Prisma join it",
    );
    this.name = "NestedConnectionError";
  }
}

/**
 * Runs `fn` outside any transaction of this module, whatever the caller's: for work that
 * outlives the call that started it and must not join or be refused by that call's
 * transaction (a group commit started by one of its callers).
 */
export function outsideTransactions<T>(fn: () => T): T {
  return current.exit(fn);
}

/** Whether the caller runs inside a transaction of this module: what it wrote is not committed yet. */
export function inTransaction(): boolean {
  return current.getStore()?.open === true;
}

/** Autocommit queries on the process's pool; inside `sqlTransactionScope`, that scope's transaction. */
export function sql(): SqlClient {
  const scope = ambientScope();
  return new SqlClient(scope ? scope.client : getPgPool());
}

/** Deadlock and serialization failures: Postgres rolled the transaction back; running it
 * again from the start is safe and usually succeeds. */
const RETRYABLE = new Set(["40P01", "40001"]);
const MAX_TRIES = 4;

/**
 * Runs `fn` in one transaction on one pooled connection: COMMIT if it resolves, ROLLBACK
 * if it throws (and rethrow). The connection always goes back to the pool. A transaction
 * Postgres aborts as a deadlock victim (or a serialization failure) is run again, up to
 * four times with a short random pause, so `fn` must touch nothing but the database.
 */
export async function sqlTransaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
  const scope = ambientScope();
  if (scope) return inSavepoint(scope, fn);
  return runTransaction(fn, false);
}

/**
 * Runs `fn` in one transaction that every `sql()` and `sqlTransaction()` call made inside
 * it joins (through AsyncLocalStorage), each `sqlTransaction` as a savepoint: so a caller
 * can wrap a service that opens its own transactions and commit something of its own
 * atomically with it — the idempotency layer stores a response in the transaction that
 * produced it. Prisma queries made inside join it too (they go through the same pool). The calls inside
 * must run one after another, not in parallel (savepoints nest on one connection). A
 * deadlock or serialization failure runs the whole of `fn` again, as `sqlTransaction` does.
 */
export async function sqlTransactionScope<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
  const outer = ambientScope();
  if (outer) return inSavepoint(outer, fn);
  return runTransaction(fn, true);
}

/** BEGIN … COMMIT on a pooled connection, run again on a deadlock or serialization failure;
 * `scoped`: calls made inside join it (sqlTransactionScope). */
async function runTransaction<T>(fn: (tx: SqlClient) => Promise<T>, scoped: boolean): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await getPgPool().connect();
    // A checked-out client has no 'error' listener of the pool's: a connection lost between
    // two statements (the database restarting) would be an unhandled 'error' and kill the
    // process. Keep it, fail the transaction with it, and drop the client on release.
    let lost: Error | undefined;
    const onError = (err: Error) => {
      lost ??= err;
    };
    client.on("error", onError);
    const state: Transaction = { client, savepoints: 0, joinable: scoped, open: true };
    try {
      await client.query("BEGIN");
      const tx = new SqlClient(client);
      const result = await current.run(state, () => fn(tx));
      await client.query("COMMIT");
      return result;
    } catch (err) {
      if (!lost) await client.query("ROLLBACK").catch(() => undefined);
      const code = typeof err === "object" && err !== null && "code" in err ? String((err as { code: unknown }).code) : "";
      if (!RETRYABLE.has(code) || attempt >= MAX_TRIES) throw err;
    } finally {
      state.open = false;
      client.removeListener("error", onError);
      client.release(lost ?? undefined);
    }
    await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * attempt));
  }
}

/** A nested transaction: a savepoint, rolled back alone if `fn` throws (the error goes on up). */
async function inSavepoint<T>(scope: Transaction, fn: (tx: SqlClient) => Promise<T>): Promise<T> {
  const name = `sp_${++scope.savepoints}`;
  await scope.client.query(`SAVEPOINT ${name}`);
  try {
    const result = await fn(new SqlClient(scope.client));
    await scope.client.query(`RELEASE SAVEPOINT ${name}`);
    return result;
  } catch (err) {
    await scope.client.query(`ROLLBACK TO SAVEPOINT ${name}`).catch(() => undefined);
    throw err;
  }
}
