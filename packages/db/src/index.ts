// @proofgrid/db: the Prisma client, the migration runner and the embedded Postgres server.
// The test harness lives in ./testing and is imported from there only (it uses vitest).
export * from "./client.ts";
export {
  createDatabase,
  databaseUrl,
  dropDatabase,
  EMBEDDED_PG_PASSWORD,
  EMBEDDED_PG_USER,
  freePort,
  startEmbeddedPostgres,
} from "./embedded.ts";
export type { CreateDatabaseOptions, EmbeddedPostgres, StartEmbeddedPostgresOptions } from "./embedded.ts";
export { defaultMigrationsDir, MIGRATION_LOCK_KEY, MigrationError, migrate, readMigrations } from "./migrate.ts";
export type { MigrateOptions, MigrationErrorCode, MigrationFile } from "./migrate.ts";
