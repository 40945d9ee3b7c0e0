// Applies prisma/migrations/<name>/migration.sql in order, recording the same
// `_prisma_migrations` rows as `prisma migrate deploy`, which cannot run on our machines
// (Prisma 7's schema engine is a download; see shared/platform-notes.md). A database
// migrated here is one `prisma migrate deploy` considers up to date, and the reverse.
import { createHash, randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";

/**
 * The repo's migrations: packages/db/src → ../../../prisma/migrations. Computed on call, not
 * at import: a bundler (Next) may give this module an import.meta.url that is no file URL.
 */
export function defaultMigrationsDir(): string {
  return fileURLToPath(new URL("../../../prisma/migrations", import.meta.url));
}

/**
 * The key Prisma's schema engine locks (`pg_advisory_lock(72707369)`), so this runner and
 * `prisma migrate deploy` exclude each other too. Advisory locks are per database: runs
 * against different databases of one server do not wait for each other.
 */
export const MIGRATION_LOCK_KEY = 72707369;
/** Prisma gives up after 10 s; a test run starting many migrators at once can need longer. */
const DEFAULT_LOCK_TIMEOUT_MS = 60_000;
const MAX_MIGRATIONS = 10_000;

/** Prisma's own DDL for its table (schema-engine, postgres flavour). */
const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export type MigrationErrorCode =
  | "checksum_mismatch"
  | "failed_migration_recorded"
  | "migration_failed"
  | "lock_timeout"
  | "invalid_migrations_dir";

export class MigrationError extends Error {
  constructor(
    readonly code: MigrationErrorCode,
    message: string,
    readonly migrationName?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "MigrationError";
  }
}

export interface MigrationFile {
  name: string;
  sql: string;
  /** sha256 hex of the file's bytes, as Prisma records it. */
  checksum: string;
}

export interface MigrateOptions {
  url: string;
  migrationsDir?: string;
  log?: (message: string) => void;
  /** How long to wait for another migrator's advisory lock. */
  lockTimeoutMs?: number;
}

/** Applies pending migrations; returns the names applied by this call, in order. */
export async function migrate(options: MigrateOptions): Promise<string[]> {
  const log = options.log ?? (() => {});
  const migrations = await readMigrations(options.migrationsDir ?? defaultMigrationsDir());
  const client = new pg.Client({ connectionString: options.url, application_name: "proofgrid-migrate" });
  await client.connect();
  try {
    await acquireLock(client, options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS);
    try {
      return await applyPending(client, migrations, log);
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await client.end();
  }
}

/** Reads `<dir>/<name>/migration.sql` for every sub-directory, ordered by name like Prisma. */
export async function readMigrations(dir: string): Promise<MigrationFile[]> {
  if (!existsSync(dir)) {
    throw new MigrationError("invalid_migrations_dir", `Migrations directory ${dir} does not exist`);
  }
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  if (names.length > MAX_MIGRATIONS) {
    throw new MigrationError("invalid_migrations_dir", `${names.length} migrations in ${dir}: more than ${MAX_MIGRATIONS}`);
  }
  const files: MigrationFile[] = [];
  for (const name of names) {
    const file = path.join(dir, name, "migration.sql");
    if (!existsSync(file)) {
      throw new MigrationError("invalid_migrations_dir", `Migration ${name} has no migration.sql (${file})`, name);
    }
    const bytes = await readFile(file);
    files.push({ name, sql: bytes.toString("utf8"), checksum: createHash("sha256").update(bytes).digest("hex") });
  }
  return files;
}

async function acquireLock(client: pg.Client, timeoutMs: number): Promise<void> {
  // lock_timeout bounds the wait for an advisory lock too (measured: a second migrator
  // fails with 55P03 after the timeout while the first holds the lock).
  await client.query(`SET lock_timeout = ${Math.max(1, Math.floor(timeoutMs))}`);
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
  } catch (error) {
    if (pgCode(error) === "55P03") {
      throw new MigrationError(
        "lock_timeout",
        `Timed out after ${timeoutMs} ms waiting for the migration lock (pg_advisory_lock(${MIGRATION_LOCK_KEY})): another migrator holds it`,
        undefined,
        { cause: error },
      );
    }
    throw error;
  } finally {
    await client.query("RESET lock_timeout");
  }
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

async function applyPending(client: pg.Client, migrations: readonly MigrationFile[], log: (message: string) => void): Promise<string[]> {
  await client.query(CREATE_MIGRATIONS_TABLE);
  const { rows } = await client.query<AppliedRow>(
    `SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at`,
  );
  // Rows marked rolled back (`prisma migrate resolve --rolled-back`) do not count, as in Prisma.
  const live = rows.filter((r) => r.rolled_back_at === null);
  const failed = live.filter((r) => r.finished_at === null);
  if (failed.length > 0) {
    const names = failed.map((r) => r.migration_name).join(", ");
    throw new MigrationError(
      "failed_migration_recorded",
      `The database records failed migrations (${names}). Fix the database by hand, then mark them with ` +
        "`prisma migrate resolve --rolled-back <name>` (or delete their _prisma_migrations rows).",
      failed[0]?.migration_name,
    );
  }

  const applied = new Map(live.map((r) => [r.migration_name, r]));
  const known = new Set(migrations.map((m) => m.name));
  for (const migration of migrations) {
    const row = applied.get(migration.name);
    if (row && row.checksum !== migration.checksum) {
      throw new MigrationError(
        "checksum_mismatch",
        `Migration ${migration.name} was modified after it was applied (recorded sha256 ${row.checksum}, ` +
          `file sha256 ${migration.checksum}). Applied migrations are immutable: restore the file and put ` +
          "the change in a new migration.",
        migration.name,
      );
    }
  }
  for (const name of applied.keys()) {
    if (!known.has(name)) log(`migration ${name} is recorded in the database but missing from the migrations directory`);
  }

  const done: string[] = [];
  for (const migration of migrations) {
    if (applied.has(migration.name)) continue;
    const t0 = performance.now();
    await applyOne(client, migration);
    done.push(migration.name);
    log(`applied migration ${migration.name} in ${Math.round(performance.now() - t0)} ms`);
  }
  if (done.length === 0) log(`no pending migrations (${migrations.length} applied)`);
  return done;
}

/** One transaction per migration: its DDL and its `_prisma_migrations` row commit together. */
async function applyOne(client: pg.Client, migration: MigrationFile): Promise<void> {
  await client.query("BEGIN");
  try {
    const started = await client.query<{ now: Date }>("SELECT clock_timestamp() AS now");
    // Simple-query protocol (no parameters): the whole file runs as one multi-statement query.
    await client.query(migration.sql);
    await client.query(
      `INSERT INTO "_prisma_migrations"
         (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
       VALUES ($1, $2, clock_timestamp(), $3, NULL, NULL, $4, 1)`,
      [randomUUID(), migration.checksum, migration.name, started.rows[0]?.now ?? new Date()],
    );
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw new MigrationError(
      "migration_failed",
      `Migration ${migration.name} failed and was rolled back: ${describePgError(error)}`,
      migration.name,
      { cause: error },
    );
  }
}

function pgCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error && typeof error.code === "string" ? error.code : undefined;
}

function describePgError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const e = error as Error & { code?: string; position?: string; detail?: string };
  return [e.message, e.code && `(SQLSTATE ${e.code})`, e.position && `at character ${e.position}`, e.detail].filter(Boolean).join(" ");
}
