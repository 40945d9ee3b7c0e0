// One Prisma client per process, on the `PrismaPg` driver adapter: Prisma 7's generated
// client runs queries through its WASM query compiler and node-postgres, so no engine
// binary is needed (shared/platform-notes.md).
import { PrismaPg } from "@prisma/adapter-pg";
import type pg from "pg";
import { SESSION_OPTIONS } from "./pg-pool.ts";
import { PrismaClient } from "./generated/prisma/client.ts";
import { getPgPool } from "./sql-client.ts";

// PrismaClient, the Prisma namespace (Prisma.JobSelect, Prisma.TransactionClient, ...),
// model types (Job, Node, ...) and enums (JobState, ...).
export * from "./generated/prisma/client.ts";

export interface CreatePrismaClientOptions {
  /** Pool size of the adapter's own pg.Pool (node-postgres default: 10). */
  maxConnections?: number;
}

/** A Prisma client with a pool of its own (tests, benchmarks, scripts with their own URL). */
export function createPrismaClient(url: string, options: CreatePrismaClientOptions = {}): PrismaClient {
  const adapter = new PrismaPg({ connectionString: url, options: SESSION_OPTIONS, max: options.maxConnections ?? 10 });
  return new PrismaClient({ adapter });
}

/** A Prisma client on an existing pool: its queries share the pool's connections. */
export function createPrismaClientOnPool(pool: pg.Pool): PrismaClient {
  const adapter = new PrismaPg(pool);
  // The adapter takes a pool only if it is `instanceof` its own copy of pg.Pool; otherwise it
  // reads it as a configuration and quietly opens a second pool. Refuse that.
  if ((adapter as unknown as { externalPool?: unknown }).externalPool !== pool) {
    throw new Error("@prisma/adapter-pg did not accept the process's pg.Pool (two copies of pg installed?)");
  }
  return new PrismaClient({ adapter });
}

export { type CreatePgPoolOptions, createPgPool } from "./pg-pool.ts";

// Next's dev server re-evaluates modules on every edit; without the globalThis cache each
// reload would open another client. The client is built over the process's one pool
// (sql-client.ts): if that pool was closed and replaced, the client is built again over the new one.
const globalForPrisma = globalThis as typeof globalThis & {
  __proofgridPrisma?: { url: string; pool: pg.Pool; client: PrismaClient };
};

/** The process's client for env DATABASE_URL, created on first use, over `getPgPool()`. */
export function getPrisma(): PrismaClient {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set: cannot create the Prisma client");
  const cached = globalForPrisma.__proofgridPrisma;
  if (cached && cached.url !== url) {
    throw new Error("DATABASE_URL changed after the Prisma client was created; restart the process");
  }
  const pool = getPgPool();
  if (cached && cached.pool === pool) return cached.client;
  const client = createPrismaClientOnPool(pool);
  globalForPrisma.__proofgridPrisma = { url, pool, client };
  return client;
}

/** Forgets the process's client (tests, graceful shutdown); `closePgPool()` closes the pool. */
export async function disconnectPrisma(): Promise<void> {
  const cached = globalForPrisma.__proofgridPrisma;
  globalForPrisma.__proofgridPrisma = undefined;
  await cached?.client.$disconnect();
}
