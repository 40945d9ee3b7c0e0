import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type pg from "pg";
import { disconnectPrisma, getPrisma } from "./client.ts";
import { closePgPool, getPgPool, NestedConnectionError, sql, sqlTransaction, sqlTransactionScope } from "./sql-client.ts";
import { socketDirFor } from "./embedded.ts";
import { createTestDatabase } from "./testing/create-test-database.ts";

let t: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  t = await createTestDatabase();
  process.env.DATABASE_URL = t.url;
  await sql().$executeRaw`CREATE TABLE pair (id int PRIMARY KEY, n int NOT NULL)`;
  await sql().$executeRaw`INSERT INTO pair VALUES (1, 0), (2, 0)`;
});
afterAll(async () => {
  await disconnectPrisma();
  await closePgPool();
  await t?.drop();
});

describe("the connection", () => {
  it("reaches the embedded server over its Unix socket, both the pg pool and Prisma (the URL names the socket's dir)", async () => {
    const socketDir = new URL(t.url).searchParams.get("host");
    // The test run's own embedded server has one unless its data dir's path is too long for
    // a socket; a shared TEST_DATABASE_URL server may have none.
    if (!process.env.TEST_DATABASE_URL && !process.env.TEST_PG_TMPDIR) expect(socketDir).toMatch(/^\//);
    const viaSocket = socketDir?.startsWith("/") ?? false;
    const [pool] = await sql().$queryRaw<{ unix: boolean }[]>`SELECT inet_client_addr() IS NULL AS unix`;
    const [prisma] = await getPrisma().$queryRaw<{ unix: boolean }[]>`SELECT inet_client_addr() IS NULL AS unix`;
    expect(pool?.unix).toBe(viaSocket);
    expect(prisma?.unix).toBe(viaSocket);
  });

  it("puts the socket in the data dir only where its path fits and needs no quoting", () => {
    expect(socketDirFor("/tmp/proofgrid/.data/pg", 54329)).toBe("/tmp/proofgrid/.data/pg");
    // sun_path holds 107 bytes and the NUL: `<dir>/.s.PGSQL.54329` must fit.
    const fits = `/${"d".repeat(107 - "/.s.PGSQL.54329".length - 1)}`;
    expect(socketDirFor(fits, 54329)).toBe(fits);
    expect(socketDirFor(`${fits}x`, 54329)).toBeNull();
    // A comma would split unix_socket_directories; a space or a quote needs quoting there.
    expect(socketDirFor("/tmp/a,b/pg", 54329)).toBeNull();
    expect(socketDirFor("/home/my data/pg", 54329)).toBeNull();
  });
});

describe("sqlTransaction", () => {
  it("runs a deadlock victim again, so both of two crossing transactions commit", async () => {
    let runs = 0;
    // Each locks one row, waits for the other to do the same, then wants the other's row:
    // Postgres aborts one as the deadlock victim, and it is run again.
    let arrived = 0;
    const barrier = async () => {
      arrived++;
      while (arrived < 2) await new Promise((r) => setTimeout(r, 5));
    };
    const crossing = (first: number, second: number) =>
      sqlTransaction(async (tx) => {
        runs++;
        await tx.$executeRaw`UPDATE pair SET n = n + 1 WHERE id = ${first}`;
        if (runs <= 2) await barrier();
        await tx.$executeRaw`UPDATE pair SET n = n + 1 WHERE id = ${second}`;
      });
    await Promise.all([crossing(1, 2), crossing(2, 1)]);
    expect(runs).toBe(3);
    const rows = await sql().$queryRaw<{ n: number }[]>`SELECT n FROM pair ORDER BY id`;
    expect(rows.map((r) => r.n)).toEqual([2, 2]);
  });

  it("does not retry other errors", async () => {
    let runs = 0;
    await expect(
      sqlTransaction(async (tx) => {
        runs++;
        await tx.$executeRaw`INSERT INTO pair VALUES (1, 0)`;
      }),
    ).rejects.toThrow();
    expect(runs).toBe(1);
  });
});

describe("a transaction whose connection is lost", () => {
  it("fails with the error, does not crash the process, and the pool carries on", async () => {
    const unhandled: unknown[] = [];
    const onUncaught = (err: unknown) => unhandled.push(err);
    process.on("uncaughtException", onUncaught);
    try {
      await expect(
        sqlTransaction(async (tx) => {
          const [me] = await tx.$queryRaw<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
          // The server ends this connection while the transaction waits between statements
          // (as a database restart does): the checked-out client emits 'error'.
          await t.pool.query("SELECT pg_terminate_backend($1)", [me?.pid]);
          await new Promise((r) => setTimeout(r, 200));
          await tx.$executeRaw`UPDATE pair SET n = n + 100 WHERE id = 1`;
        }),
      ).rejects.toThrow();
    } finally {
      process.off("uncaughtException", onUncaught);
    }
    expect(unhandled).toEqual([]);
    // Nothing of the lost transaction landed, and the next one runs on a fresh connection.
    const rows = await sql().$queryRaw<{ n: number }[]>`SELECT n FROM pair ORDER BY id`;
    expect(rows.every((r) => r.n < 100)).toBe(true);
    await sqlTransaction(async (tx) => tx.$executeRaw`UPDATE pair SET n = n WHERE id = 1`);
  });
});

describe("a connection lost the moment the pool hands it out", () => {
  it("does not crash the process: that transaction fails, the client is dropped, the next one runs", async () => {
    // The window: the pool has taken its listener off the client and resolved connect(); the
    // caller's listener comes a microtask later. A restart's "terminating connection", read
    // with the ReadyForQuery that completed the connection, is emitted in between.
    await closePgPool();
    const pool = getPgPool();
    const unhandled: unknown[] = [];
    const onUncaught = (err: unknown) => unhandled.push(err);
    process.on("uncaughtException", onUncaught);
    let broken: pg.PoolClient | undefined;
    pool.once("acquire", (client) => {
      broken = client;
      queueMicrotask(() => {
        const err = Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" });
        (client as unknown as { _handleErrorEvent(e: Error): void })._handleErrorEvent(err);
      });
    });
    try {
      await expect(sqlTransaction(async (tx) => tx.$executeRaw`UPDATE pair SET n = n + 1000 WHERE id = 1`)).rejects.toThrow();
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      process.off("uncaughtException", onUncaught);
    }
    expect(unhandled).toEqual([]);
    expect(broken).toBeDefined();
    const rows = await sql().$queryRaw<{ n: number }[]>`SELECT n FROM pair ORDER BY id`;
    expect(rows.every((r) => r.n < 1000)).toBe(true);
    // The broken client is gone from the pool; the next transaction gets a working one.
    await sqlTransaction(async (tx) => tx.$executeRaw`UPDATE pair SET n = n WHERE id = 1`);
    expect(pool.totalCount).toBeGreaterThan(0);
  });
});

describe("sqlTransactionScope", () => {
  it("makes sql() and sqlTransaction() inside it join one transaction: all or nothing, a failed inner one rolled back alone", async () => {
    await sql().$executeRaw`CREATE TABLE scoped (id int PRIMARY KEY)`;
    await expect(
      sqlTransactionScope(async () => {
        await sql().$executeRaw`INSERT INTO scoped VALUES (1)`;
        await sqlTransaction(async (tx) => tx.$executeRaw`INSERT INTO scoped VALUES (2)`);
        // A failing inner transaction (duplicate key) is rolled back to its savepoint; the outer goes on.
        await expect(sqlTransaction(async (tx) => tx.$executeRaw`INSERT INTO scoped VALUES (2)`)).rejects.toMatchObject({ code: "23505" });
        // Not visible outside the scope before it commits.
        const outside = await new Promise<number>((resolve, reject) => {
          setImmediate(() => {
            t.pool.query("SELECT count(*)::int AS n FROM scoped").then((r) => resolve(r.rows[0].n), reject);
          });
        });
        expect(outside).toBe(0);
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    expect((await sql().$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM scoped`)[0]?.n).toBe(0);
    await sqlTransactionScope(async () => {
      await sql().$executeRaw`INSERT INTO scoped VALUES (1)`;
      await sqlTransaction(async (tx) => tx.$executeRaw`INSERT INTO scoped VALUES (2)`);
    });
    expect((await sql().$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM scoped`)[0]?.n).toBe(2);
  });
});

describe("one pool for Prisma and raw SQL", () => {
  const slug = (n: number) => `pool-test-${n}`;

  it("Prisma queries made inside sqlTransactionScope join its transaction: they see its writes, and vanish with it", async () => {
    await expect(
      sqlTransactionScope(async () => {
        await sql().$executeRaw`INSERT INTO organizations (id, name, slug) VALUES (gen_random_uuid(), 'Scoped', ${slug(1)})`;
        const seen = await getPrisma().organization.findUnique({ where: { slug: slug(1) }, select: { name: true } });
        expect(seen?.name).toBe("Scoped");
        // A Prisma write joins too: it is rolled back with the rest.
        await getPrisma().organization.update({ where: { slug: slug(1) }, data: { name: "Renamed" } });
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    expect(await getPrisma().organization.count({ where: { slug: slug(1) } })).toBe(0);
    // The pool the Prisma client runs on is the process's pool.
    expect(getPgPool().totalCount).toBeGreaterThan(0);
  });

  it("a second connection asked for inside a plain sqlTransaction fails at once, naming the fix, and nothing of it lands", async () => {
    await expect(
      sqlTransaction(async (tx) => {
        await tx.$executeRaw`INSERT INTO organizations (id, name, slug) VALUES (gen_random_uuid(), 'Plain', ${slug(2)})`;
        await getPrisma().organization.count();
      }),
    ).rejects.toThrow(/second database connection/);
    await expect(sqlTransaction(async () => sql().$queryRaw`SELECT 1`)).rejects.toBeInstanceOf(NestedConnectionError);
    expect(await getPrisma().organization.count({ where: { slug: slug(2) } })).toBe(0);
  });

  it("work a transaction left running (a timer) gets connections of its own once the transaction is over", async () => {
    let late: Promise<number> | undefined;
    let lateSql: Promise<unknown> | undefined;
    await sqlTransaction(async (tx) => {
      await tx.$queryRaw`SELECT 1`;
      late = new Promise((resolve, reject) => setTimeout(() => getPrisma().organization.count().then(resolve, reject), 50));
    });
    await sqlTransactionScope(async () => {
      lateSql = new Promise((resolve, reject) => setTimeout(() => sql().$queryRaw`SELECT pg_backend_pid()`.then(resolve, reject), 50));
    });
    expect(await late).toBeGreaterThanOrEqual(0);
    await expect(lateSql).resolves.toBeDefined();
  });

  it("more scopes at once than the pool has connections, each with Prisma queries inside, all finish", async () => {
    const scopes = getPgPool().options.max + 5;
    const names = await Promise.all(
      Array.from({ length: scopes }, (_, i) =>
        sqlTransactionScope(async () => {
          await sql().$executeRaw`INSERT INTO organizations (id, name, slug) VALUES (gen_random_uuid(), ${`Busy ${i}`}, ${slug(100 + i)})`;
          // Holds every connection at once before the Prisma query: with a nested
          // connection per scope, this would wait for the pool's connection timeout.
          await new Promise((r) => setTimeout(r, 50));
          const row = await getPrisma().organization.findUniqueOrThrow({ where: { slug: slug(100 + i) }, select: { name: true } });
          return row.name;
        }),
      ),
    );
    expect(names).toEqual(Array.from({ length: scopes }, (_, i) => `Busy ${i}`));
  });
});

describe("named prepared statements", () => {
  it("prepare each text once per connection, and a statement whose result type a migration changed runs again unnamed", async () => {
    const pool = getPgPool();
    await sql().$executeRaw`CREATE TABLE shape (id int PRIMARY KEY)`;
    await sql().$executeRaw`INSERT INTO shape VALUES (1)`;
    const read = () => sql().$queryRaw<Record<string, unknown>[]>`SELECT * FROM shape WHERE id = ${1}`;
    // Every connection of the pool prepares it (the pool hands out its idle ones in turn).
    const all = await Promise.all(Array.from({ length: pool.options.max }, () => read()));
    for (const rows of all) expect(rows).toEqual([{ id: 1 }]);
    const prepared = await sql().$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement LIKE 'SELECT * FROM shape%'`;
    // Named: this connection holds it prepared (an unnamed statement is not listed).
    expect(prepared[0]?.n).toBe(1);
    // A migration adds a column: the prepared plan's row type no longer matches the table.
    await sql().$executeRaw`ALTER TABLE shape ADD COLUMN label text NOT NULL DEFAULT 'new'`;
    const after = await Promise.all(Array.from({ length: pool.options.max }, () => read()));
    for (const rows of after) expect(rows).toEqual([{ id: 1, label: "new" }]);
  });
});
