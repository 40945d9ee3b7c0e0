// One Prisma client per process, on the `PrismaPg` driver adapter: Prisma 7's generated
// client runs queries through its WASM query compiler and node-postgres, so no engine
// binary is needed (shared/platform-notes.md).
import { PrismaPg } from "@prisma/adapter-pg";
import { SESSION_OPTIONS } from "./pg-pool.ts";
import { PrismaClient } from "./generated/prisma/client.ts";

// PrismaClient, the Prisma namespace (Prisma.JobSelect, Prisma.TransactionClient, ...),
// model types (Job, Node, ...) and enums (JobState, ...).
export * from "./generated/prisma/client.ts";

export interface CreatePrismaClientOptions {
  /** Pool size of the adapter's pg.Pool (node-postgres default: 10). */
  maxConnections?: number;
}

export function createPrismaClient(url: string, options: CreatePrismaClientOptions = {}): PrismaClient {
  const adapter = new PrismaPg({ connectionString: url, options: SESSION_OPTIONS, max: options.maxConnections ?? 10 });
  return new PrismaClient({ adapter });
}

export { type CreatePgPoolOptions, createPgPool } from "./pg-pool.ts";

// Next's dev server re-evaluates modules on every edit; without the globalThis cache each
// reload would open another pool of connections until Postgres runs out (max_connections 100).
const globalForPrisma = globalThis as typeof globalThis & {
  __proofgridPrisma?: { url: string; client: PrismaClient };
};

/** The process's client for env DATABASE_URL, created on first use. */
export function getPrisma(): PrismaClient {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set: cannot create the Prisma client");
  const cached = globalForPrisma.__proofgridPrisma;
  if (cached) {
    if (cached.url !== url) {
      throw new Error("DATABASE_URL changed after the Prisma client was created; restart the process");
    }
    return cached.client;
  }
  const client = createPrismaClient(url);
  globalForPrisma.__proofgridPrisma = { url, client };
  return client;
}

/** Disconnects and forgets the process's client (tests, graceful shutdown). */
export async function disconnectPrisma(): Promise<void> {
  const cached = globalForPrisma.__proofgridPrisma;
  globalForPrisma.__proofgridPrisma = undefined;
  await cached?.client.$disconnect();
}
