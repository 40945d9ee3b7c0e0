import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createDatabase, databaseUrl, dropDatabase } from "./embedded.ts";
import { defaultMigrationsDir, MIGRATION_LOCK_KEY, MigrationError, migrate, readMigrations } from "./migrate.ts";
import { createTestDatabase, type TestDatabase } from "./testing/create-test-database.ts";
import { describeSchema } from "./testing/describe-schema.ts";

const MIGRATIONS_DIR = defaultMigrationsDir();
const ROOT = path.resolve(MIGRATIONS_DIR, "..", "..");
const SCHEMA_PRISMA = path.join(ROOT, "prisma", "schema.prisma");
const SCHEMA_SQL = path.join(ROOT, "prisma", "schema.sql");
/** Migrations that start with this line hold SQL that schema.prisma cannot express. */
const HAND_WRITTEN_MARKER = "-- Hand-written";

const adminUrl = inject("pgAdminUrl");
const createdDatabases: string[] = [];
const tempDirs: string[] = [];

/** An empty database (from template1), dropped after the file. */
async function emptyDatabase(label: string): Promise<string> {
  const name = `${inject("pgDatabasePrefix")}${label}_${randomBytes(4).toString("hex")}`;
  createdDatabases.push(name);
  return createDatabase(adminUrl, name);
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A migrations dir of our own, for runs that must fail. */
async function migrationsDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "proofgrid-migrations-"));
  tempDirs.push(dir);
  for (const [name, sql] of Object.entries(files)) {
    await mkdir(path.join(dir, name));
    await writeFile(path.join(dir, name, "migration.sql"), sql);
  }
  return dir;
}

async function tableExists(url: string, table: string): Promise<boolean> {
  return withClient(url, async (c) => (await c.query("SELECT to_regclass($1) AS t", [table])).rows[0]?.t !== null);
}

async function recordedMigrations(url: string): Promise<string[]> {
  return withClient(url, async (c) =>
    (await c.query<{ migration_name: string }>(`SELECT migration_name FROM "_prisma_migrations" ORDER BY migration_name`)).rows.map(
      (r) => r.migration_name,
    ),
  );
}

afterAll(async () => {
  for (const name of createdDatabases) await dropDatabase(adminUrl, name);
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
});

describe("migrate", () => {
  it("applies every migration in order and records the rows prisma migrate deploy records", async () => {
    const url = await emptyDatabase("runner");
    const files = await readMigrations(MIGRATIONS_DIR);
    expect(files.map((f) => f.name)).toContain("20261127000000_init");

    const applied = await migrate({ url });

    expect(applied).toEqual(files.map((f) => f.name));
    const rows = await withClient(url, async (c) => (await c.query(`SELECT * FROM "_prisma_migrations" ORDER BY migration_name`)).rows);
    for (const [i, file] of files.entries()) {
      const expected = createHash("sha256")
        .update(await readFile(path.join(MIGRATIONS_DIR, file.name, "migration.sql")))
        .digest("hex");
      expect(rows[i]).toMatchObject({
        migration_name: file.name,
        checksum: expected,
        applied_steps_count: 1,
        logs: null,
        rolled_back_at: null,
      });
      expect(rows[i]?.id).toHaveLength(36);
      expect(rows[i]?.finished_at).toBeInstanceOf(Date);
    }
    // Prisma's own table definition, so `prisma migrate deploy` can take over this database.
    const columns = await withClient(url, async (c) =>
      (
        await c.query(
          `SELECT column_name, data_type, character_maximum_length AS len, is_nullable, column_default
             FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
        )
      ).rows.map(
        (r) =>
          `${r.column_name} ${r.data_type}${r.len ? `(${r.len})` : ""} ${r.is_nullable === "NO" ? "not null" : "null"}${r.column_default ? ` default ${r.column_default}` : ""}`,
      ),
    );
    expect(columns).toEqual([
      "id character varying(36) not null",
      "checksum character varying(64) not null",
      "finished_at timestamp with time zone null",
      "migration_name character varying(255) not null",
      "logs text null",
      "rolled_back_at timestamp with time zone null",
      "started_at timestamp with time zone not null default now()",
      "applied_steps_count integer not null default 0",
    ]);

    // Idempotent: a second run applies nothing.
    expect(await migrate({ url })).toEqual([]);
    expect(await recordedMigrations(url)).toEqual(files.map((f) => f.name));
  });

  it("lets concurrent runs all succeed with each migration applied exactly once", async () => {
    const url = await emptyDatabase("concurrent");
    const names = (await readMigrations(MIGRATIONS_DIR)).map((f) => f.name);

    const results = await Promise.all([migrate({ url }), migrate({ url }), migrate({ url })]);

    // The advisory lock serialises them: whoever gets it first applies everything.
    expect(results.flat().sort()).toEqual(names);
    expect(results.filter((r) => r.length > 0)).toHaveLength(1);
    expect(await recordedMigrations(url)).toEqual(names);
  });

  it("refuses to run when an applied migration's file has changed", async () => {
    const url = await emptyDatabase("checksum");
    const dir = await migrationsDir({ "0001_a": "CREATE TABLE a (id int);\n" });
    await migrate({ url, migrationsDir: dir });
    await writeFile(path.join(dir, "0001_a", "migration.sql"), "CREATE TABLE a (id bigint);\n");
    await mkdir(path.join(dir, "0002_b"));
    await writeFile(path.join(dir, "0002_b", "migration.sql"), "CREATE TABLE b (id int);\n");

    const error = await migrate({ url, migrationsDir: dir }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(MigrationError);
    expect(error).toMatchObject({ code: "checksum_mismatch", migrationName: "0001_a" });
    expect((error as Error).message).toMatch(/0001_a was modified after it was applied/);
    // Nothing after it ran either.
    expect(await tableExists(url, "b")).toBe(false);
  });

  it("rolls a failing migration back completely and applies it once fixed", async () => {
    const url = await emptyDatabase("failing");
    const dir = await migrationsDir({
      "0001_ok": "CREATE TABLE a (id int);\n",
      "0002_bad": "CREATE TABLE b (id int);\nCREATE INDEX b_id ON b (id);\nINSERT INTO a VALUES (1);\nSELECT 1 / 0;\n",
    });

    const error = await migrate({ url, migrationsDir: dir }).catch((e: unknown) => e);

    expect(error).toMatchObject({ code: "migration_failed", migrationName: "0002_bad" });
    expect((error as Error).message).toMatch(/division by zero/);
    expect(await tableExists(url, "a")).toBe(true);
    expect(await tableExists(url, "b")).toBe(false);
    expect(await withClient(url, async (c) => (await c.query("SELECT count(*)::int AS n FROM a")).rows[0]?.n)).toBe(0);
    expect(await recordedMigrations(url)).toEqual(["0001_ok"]);

    await writeFile(path.join(dir, "0002_bad", "migration.sql"), "CREATE TABLE b (id int);\n");
    expect(await migrate({ url, migrationsDir: dir })).toEqual(["0002_bad"]);
  });

  it("gives up waiting for another migrator's lock after lockTimeoutMs", async () => {
    const url = await emptyDatabase("locked");
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
      const t0 = performance.now();
      const error = await migrate({ url, lockTimeoutMs: 300 }).catch((e: unknown) => e);
      const waitedMs = performance.now() - t0;

      expect(error).toMatchObject({ code: "lock_timeout" });
      expect(waitedMs).toBeGreaterThanOrEqual(250);
      expect(waitedMs).toBeLessThan(10_000);
      await holder.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
      expect((await migrate({ url })).length).toBeGreaterThan(0);
    } finally {
      await holder.end();
    }
  });
});

describe("schema drift", () => {
  it("prisma/schema.sql was generated from the current prisma/schema.prisma", async () => {
    const schema = await readFile(SCHEMA_PRISMA, "utf8");
    const snapshot = await readFile(SCHEMA_SQL, "utf8");
    const recorded = /^-- schema\.prisma sha256: ([0-9a-f]{64})$/m.exec(snapshot)?.[1];
    const current = createHash("sha256").update(schema).digest("hex");

    expect(
      recorded === current,
      "prisma/schema.prisma changed since prisma/schema.sql was generated. Run `npx tsx scripts/db-diff.ts " +
        "--migration <name>` to write the migration and regenerate schema.sql (or `npx tsx scripts/db-diff.ts` " +
        "alone if the change needs no SQL, e.g. a comment).",
    ).toBe(true);
  });

  it("the migrations build exactly the schema that schema.prisma describes", async () => {
    const migrated = await emptyDatabase("drift_migrated");
    await migrate({ url: migrated });

    // The other side: Prisma's full DDL for schema.prisma, then the hand-written migrations
    // (guards that Prisma cannot express), which the snapshot cannot contain.
    const fromSnapshot = await emptyDatabase("drift_snapshot");
    const handWritten = (await readMigrations(MIGRATIONS_DIR)).filter((m) => m.sql.startsWith(HAND_WRITTEN_MARKER));
    expect(handWritten.map((m) => m.name)).toContain("20261127000100_ledger_guards");
    await withClient(fromSnapshot, async (c) => {
      await c.query(await readFile(SCHEMA_SQL, "utf8"));
      for (const m of handWritten) await c.query(m.sql);
    });

    const a = await withClient(migrated, (c) => describeSchema(c));
    const b = await withClient(fromSnapshot, (c) => describeSchema(c));
    const onlyInMigrations = a.filter((line) => !b.includes(line));
    const onlyInSchemaSql = b.filter((line) => !a.includes(line));

    expect(a.length).toBeGreaterThan(100);
    expect(
      { onlyInMigrations, onlyInSchemaSql },
      "The migrations and schema.prisma disagree: write a migration with `npx tsx scripts/db-diff.ts --migration <name>`",
    ).toEqual({ onlyInMigrations: [], onlyInSchemaSql: [] });
  });

  it("the schema comparison notices a dropped index, a changed default and a missing trigger", async () => {
    const url = await emptyDatabase("drift_sensitivity");
    await migrate({ url });
    const before = await withClient(url, (c) => describeSchema(c));
    await withClient(url, async (c) => {
      await c.query("DROP INDEX jobs_state_created_at_idx");
      await c.query("ALTER TABLE jobs ALTER COLUMN max_attempts SET DEFAULT 5");
      await c.query("DROP TRIGGER jobs_notify_update ON jobs");
    });
    const after = await withClient(url, (c) => describeSchema(c));

    const gone = before.filter((line) => !after.includes(line));
    expect(gone.some((l) => l.includes("jobs_state_created_at_idx"))).toBe(true);
    expect(gone.some((l) => l.startsWith("column jobs.max_attempts"))).toBe(true);
    expect(gone.some((l) => l.includes("jobs_notify_update"))).toBe(true);
  });
});

describe("ledger and job guards (migration 20261127000100_ledger_guards)", () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
    console.log(`[test-db] cloned ${db.name} from the template in ${db.createMs} ms`);
  });
  afterAll(() => db?.drop());

  async function account(code: string, allowNegative = false): Promise<string> {
    const { rows } = await db.pool.query<{ id: string }>(
      `INSERT INTO ledger_accounts (id, code, kind, allow_negative) VALUES (gen_random_uuid(), $1, 'treasury', $2) RETURNING id`,
      [code, allowNegative],
    );
    return rows[0]!.id;
  }

  /** Posts a transfer with the given legs in one transaction; resolves to the transfer id. */
  async function transfer(legs: [accountId: string, amount: bigint][]): Promise<string> {
    const client = await db.pool.connect();
    try {
      await client.query("BEGIN");
      const { rows } = await client.query<{ id: string }>(
        `INSERT INTO ledger_transfers (id, idempotency_key, kind) VALUES (gen_random_uuid(), $1, 'test') RETURNING id`,
        [randomBytes(8).toString("hex")],
      );
      const id = rows[0]!.id;
      for (const [accountId, amount] of legs) {
        await client.query("INSERT INTO ledger_entries (transfer_id, account_id, amount) VALUES ($1, $2, $3)", [
          id,
          accountId,
          amount.toString(),
        ]);
      }
      await client.query("COMMIT");
      return id;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  it("hands out a migrated database through Prisma", async () => {
    const org = await db.prisma.organization.create({ data: { name: "Acme", slug: `acme-${randomBytes(3).toString("hex")}` } });
    expect(await db.prisma.organization.findUnique({ where: { id: org.id }, select: { name: true } })).toEqual({ name: "Acme" });
  });

  it("refuses a negative balance unless the account allows it", async () => {
    const plain = await account("guard:plain");
    const clearing = await account("guard:clearing", true);

    await expect(db.pool.query("UPDATE ledger_accounts SET balance = -1 WHERE id = $1", [plain])).rejects.toMatchObject({
      code: "23514",
      constraint: "ledger_accounts_balance_nonnegative",
    });
    await db.pool.query("UPDATE ledger_accounts SET balance = -1 WHERE id = $1", [clearing]);
  });

  it("accepts a balanced transfer and refuses an unbalanced one at commit", async () => {
    const from = await account("guard:from", true);
    const to = await account("guard:to");

    const ok = await transfer([
      [from, -5n],
      [to, 5n],
    ]);
    await expect(
      transfer([
        [from, -5n],
        [to, 4n],
      ]),
    ).rejects.toMatchObject({
      code: "23514",
      constraint: "ledger_entries_transfer_balanced",
    });

    // The unbalanced transfer left nothing behind: only `ok` and its two entries exist.
    const { rows } = await db.pool.query<{ id: string; entries: number }>(
      "SELECT t.id, (SELECT count(*)::int FROM ledger_entries e WHERE e.transfer_id = t.id) AS entries FROM ledger_transfers t",
    );
    expect(rows).toEqual([{ id: ok, entries: 2 }]);
  });

  it("keeps transfers and entries immutable", async () => {
    const from = await account("guard:imm-from", true);
    const to = await account("guard:imm-to");
    const id = await transfer([
      [from, -7n],
      [to, 7n],
    ]);

    for (const sql of [
      "UPDATE ledger_entries SET amount = amount * 2 WHERE transfer_id = $1",
      "DELETE FROM ledger_entries WHERE transfer_id = $1",
      "UPDATE ledger_transfers SET memo = 'changed' WHERE id = $1",
      "DELETE FROM ledger_transfers WHERE id = $1",
    ]) {
      await expect(db.pool.query(sql, [id]), sql).rejects.toMatchObject({ code: "23001" });
    }
    await expect(db.pool.query("TRUNCATE ledger_entries")).rejects.toMatchObject({ code: "23001" });
    await expect(db.pool.query("TRUNCATE ledger_transfers CASCADE")).rejects.toMatchObject({ code: "23001" });
    const { rows } = await db.pool.query<{ sum: string }>(
      "SELECT sum(abs(amount))::text AS sum FROM ledger_entries WHERE transfer_id = $1",
      [id],
    );
    expect(rows[0]?.sum).toBe("14");
  });

  it("notifies proofgrid_jobs when a job is inserted or its state or node changes, and only then", async () => {
    const { rows: orgs } = await db.pool.query<{ id: string }>(
      "INSERT INTO organizations (id, name, slug) VALUES (gen_random_uuid(), 'N', $1) RETURNING id",
      [`n-${randomBytes(3).toString("hex")}`],
    );
    await db.pool.query(
      "INSERT INTO models (id, slug, name, kind, description, signature, base_cost_milli_cu) VALUES ('m1', 'm1', 'M', 'ocr', '', '{}', 1) ON CONFLICT DO NOTHING",
    );
    const listener = await db.pool.connect();
    const events: unknown[] = [];
    listener.on("notification", (msg) => {
      if (msg.channel === "proofgrid_jobs" && msg.payload) events.push(JSON.parse(msg.payload));
    });
    try {
      await listener.query("LISTEN proofgrid_jobs");
      const { rows } = await db.pool.query<{ id: string }>(
        `INSERT INTO jobs (id, org_id, model_id, cost_milli_cu, price, input_hash, input_bytes)
         VALUES (gen_random_uuid(), $1, 'm1', 1, 1, 'h', 1) RETURNING id`,
        [orgs[0]!.id],
      );
      const jobId = rows[0]!.id;
      await db.pool.query("UPDATE jobs SET error = 'x' WHERE id = $1", [jobId]); // no notify
      await db.pool.query("UPDATE jobs SET state = 'canceled' WHERE id = $1", [jobId]);
      await expect(db.pool.query("UPDATE jobs SET attempt = -1 WHERE id = $1", [jobId])).rejects.toMatchObject({
        constraint: "jobs_attempt_nonnegative",
      });

      const deadline = Date.now() + 5_000;
      while (events.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 100)); // room for a wrong third event to arrive
      expect(events).toEqual([
        { id: jobId, state: "queued", node_id: null },
        { id: jobId, state: "canceled", node_id: null },
      ]);
    } finally {
      await listener.query("UNLISTEN *");
      listener.release();
    }
  });

  it("clones a fresh database from the template quickly", async () => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const extra = await createTestDatabase({ maxConnections: 1 });
      times.push(extra.createMs);
      expect(await tableExists(extra.url, "jobs")).toBe(true);
      await extra.drop();
    }
    console.log(`[test-db] template clone times (ms): ${times.join(", ")}`);
    // A generous bound: the point is that a file's database costs no migration run.
    expect(Math.min(...times)).toBeLessThan(2_000);
  });
});

// Keeps `databaseUrl` honest for callers that swap the database of an admin URL.
it("databaseUrl replaces only the database", () => {
  expect(databaseUrl("postgresql://u:p%40ss@127.0.0.1:5432/postgres?sslmode=disable", "test_1")).toBe(
    "postgresql://u:p%40ss@127.0.0.1:5432/test_1?sslmode=disable",
  );
});
