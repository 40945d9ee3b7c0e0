import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrismaClient } from "./client.ts";
import { isDatabaseUnavailable, isUniqueViolation } from "./db-errors.ts";
import { createTestDatabase, type TestDatabase } from "./testing/create-test-database.ts";

// The errors a real Postgres raises, as each client wraps them: a duplicate key through
// node-postgres and through Prisma is a unique violation; a foreign-key failure is not.
let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

const caught = async (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => e,
  );

describe("database errors", () => {
  it("knows a server whose Unix socket is gone (it is down) through node-postgres and through Prisma", async () => {
    const dir = mkdtempSync(join(tmpdir(), "proofgrid-pg-down-"));
    try {
      const url = `postgresql://postgres:postgres@127.0.0.1:5432/postgres?host=${dir}`;
      const client = new pg.Client({ connectionString: url });
      const viaPg = await caught(client.connect());
      const prisma = createPrismaClient(url, { maxConnections: 1 });
      const viaPrisma = await caught(prisma.$queryRaw`SELECT 1`);
      await prisma.$disconnect();
      for (const err of [viaPg, viaPrisma]) {
        expect(err).not.toBeNull();
        expect(isDatabaseUnavailable(err)).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("recognises a duplicate key from node-postgres and from Prisma, and nothing else", async () => {
    await t.pool.query(`INSERT INTO organizations (id, name, slug, kind) VALUES (gen_random_uuid(), 'a', 'dup', 'customer')`);
    const viaPg = await caught(
      t.pool.query(`INSERT INTO organizations (id, name, slug, kind) VALUES (gen_random_uuid(), 'b', 'dup', 'customer')`),
    );
    const viaPrisma = await caught(t.prisma.organization.create({ data: { name: "c", slug: "dup", kind: "customer" } }));
    const viaRaw = await caught(
      t.prisma.$executeRaw`INSERT INTO organizations (id, name, slug, kind) VALUES (gen_random_uuid(), 'd', 'dup', 'customer')`,
    );
    for (const err of [viaPg, viaPrisma, viaRaw]) {
      expect(err).not.toBeNull();
      expect(isUniqueViolation(err)).toBe(true);
      expect(isDatabaseUnavailable(err)).toBe(false);
    }
    const foreignKey = await caught(
      t.pool.query(
        `INSERT INTO api_keys (id, org_id, name, prefix, secret_hash, scopes) VALUES (gen_random_uuid(), gen_random_uuid(), 'k', 'p', 'h', '{}')`,
      ),
    );
    expect((foreignKey as { code?: string }).code).toBe("23503");
    expect(isUniqueViolation(foreignKey)).toBe(false);
    expect(isUniqueViolation(new Error("duplicate key value violates unique constraint"))).toBe(false);
  });
});
