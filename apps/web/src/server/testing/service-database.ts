// For integration tests of the web app's services: the fresh database, data directory and
// environment each test file needs, set up and taken down by one pair of vitest hooks.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closePgPool, sql } from "@proofgrid/db/sql-client";
import { type CreateTestDatabaseOptions, createTestDatabase, type TestDatabase } from "@proofgrid/db/testing/create-test-database";
import { afterAll, beforeAll } from "vitest";
import { grantCredits } from "../services/billing/grant-credits.ts";
import { ensureOrgAccounts } from "../services/billing/org-accounts.ts";
import { resetEnvCache } from "../env.ts";

export interface ServiceDatabaseOptions {
  /** Names the data directory, `proofgrid-<name>-…`, so a leftover one says whose it is. */
  name: string;
  /** More variables for the file's tests, set with DATABASE_URL and put back after. */
  env?: Record<string, string>;
  /** For createTestDatabase: a file that runs many requests at once needs more connections. */
  database?: CreateTestDatabaseOptions;
}

export interface ServiceDatabase {
  /** The file's database; readable from the file's own beforeAll on. */
  readonly t: TestDatabase;
  /** The file's PROOFGRID_DATA_DIR. */
  readonly dataDir: string;
}

/**
 * Registers a beforeAll that creates the file's database and data directory and points
 * DATABASE_URL, PROOFGRID_DATA_DIR and `env` at them, and an afterAll that closes the
 * process's pool, drops the database, removes the directory and puts the variables back.
 * Call it at the top of the file, before the file's own hooks. beforeAll hooks run in the
 * order they were registered and afterAll hooks in reverse, so the file's setup finds the
 * database and the file's teardown runs while it still exists.
 */
export function setupServiceDatabase(opts: ServiceDatabaseOptions): ServiceDatabase {
  let t: TestDatabase | undefined;
  let dataDir: string | undefined;
  const saved = new Map<string, string | undefined>();

  beforeAll(async () => {
    t = await createTestDatabase(opts.database);
    dataDir = mkdtempSync(join(tmpdir(), `proofgrid-${opts.name}-`));
    for (const [key, value] of Object.entries({ DATABASE_URL: t.url, PROOFGRID_DATA_DIR: dataDir, ...opts.env })) {
      saved.set(key, process.env[key]);
      process.env[key] = value;
    }
    resetEnvCache();
  });
  afterAll(async () => {
    try {
      await closePgPool();
      await t?.drop();
    } finally {
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      // A variable the file did not have is deleted, not set to "undefined".
      for (const [key, value] of saved) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      resetEnvCache();
    }
  });

  return {
    get t() {
      if (!t) throw new Error("setupServiceDatabase: the database is made in beforeAll; read it from a hook or a test");
      return t;
    },
    get dataDir() {
      if (!dataDir) throw new Error("setupServiceDatabase: the data directory is made in beforeAll; read it from a hook or a test");
      return dataDir;
    },
  };
}

/**
 * An organisation (name = slug) with its ledger accounts, and `tokens` of credits granted
 * once (key `funds:<slug>`). Needs the file's database: call it from a hook or a test.
 */
export async function createOrg(slug: string, kind: "customer" | "provider", tokens = 0n): Promise<string> {
  const rows = await sql().$queryRaw<{ id: string }[]>`
    INSERT INTO organizations (id, name, slug, kind) VALUES (gen_random_uuid(), ${slug}, ${slug}, ${kind}::"OrgKind") RETURNING id`;
  const id = rows[0]?.id as string;
  await ensureOrgAccounts(sql(), id);
  if (tokens > 0n) await grantCredits({ orgId: id, amount: tokens, idempotencyKey: `funds:${slug}`, memo: "test" });
  return id;
}
