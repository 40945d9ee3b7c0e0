import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../testing/create-test-database.ts";
import { ensureAccounts, ensureSystemAccounts, getBalances, orgAccount, SYSTEM_ACCOUNTS } from "./accounts.ts";
import { checkLedger } from "./check-ledger.ts";
import { LedgerError } from "./ledger-error.ts";
import { applyDeferredBalances, postTransfer } from "./post-transfer.ts";

let t: Awaited<ReturnType<typeof createTestDatabase>>;
let orgA: string;
let orgB: string;

beforeAll(async () => {
  t = await createTestDatabase();
  const mk = (slug: string) => t.prisma.organization.create({ data: { slug, name: slug }, select: { id: true } });
  orgA = (await mk("a")).id;
  orgB = (await mk("b")).id;
  await ensureSystemAccounts(t.prisma);
  await ensureAccounts(t.prisma, [orgAccount(orgA, "available"), orgAccount(orgA, "held"), orgAccount(orgB, "available")]);
});
afterAll(async () => {
  await t?.drop();
});

const avail = (org: string) => orgAccount(org, "available").code;

/** Credits the organisation's available account from the treasury, in a transaction of its own. */
const grantFromTreasury = (org: string, amount: bigint, idempotencyKey: string) =>
  t.prisma.$transaction((tx) =>
    postTransfer(tx, {
      idempotencyKey,
      kind: "grant",
      legs: [
        { code: SYSTEM_ACCOUNTS.treasury.code, amount: -amount },
        { code: avail(org), amount },
      ],
    }),
  );

describe("ledger", () => {
  it("posts balanced transfers once per idempotency key", async () => {
    const grant = () => grantFromTreasury(orgA, 500n, "grant:1");
    const first = await grant();
    const second = await grant();
    expect(first.created).toBe(true);
    expect(second).toEqual({ transferId: first.transferId, created: false });
    expect((await getBalances(t.prisma, [avail(orgA)])).get(avail(orgA))).toBe(500n);
    expect((await checkLedger(t.prisma)).ok).toBe(true);
  });

  it("refuses unbalanced transfers and zero amounts", async () => {
    await expect(
      postTransfer(t.prisma, {
        idempotencyKey: "bad:1",
        kind: "x",
        legs: [
          { code: avail(orgA), amount: -1n },
          { code: avail(orgB), amount: 2n },
        ],
      }),
    ).rejects.toMatchObject({ code: "unbalanced" });
    await expect(
      postTransfer(t.prisma, {
        idempotencyKey: "bad:2",
        kind: "x",
        legs: [
          { code: avail(orgA), amount: 0n },
          { code: avail(orgB), amount: 0n },
        ],
      }),
    ).rejects.toBeInstanceOf(LedgerError);
  });

  it("a transfer naming an unknown account is unknown_account and moves nothing, even on its own", async () => {
    const before = (await getBalances(t.prisma, [avail(orgA)])).get(avail(orgA));
    const entries = await t.prisma.ledgerEntry.count();
    await expect(
      postTransfer(t.prisma, {
        idempotencyKey: "unknown:1",
        kind: "x",
        legs: [
          { code: avail(orgA), amount: -1n },
          { code: "org:00000000-0000-4000-8000-000000000000:available", amount: 1n },
        ],
      }),
    ).rejects.toMatchObject({ code: "unknown_account", accountCode: "org:00000000-0000-4000-8000-000000000000:available" });
    // The one statement moved no balance and wrote no entry for the known account.
    expect((await getBalances(t.prisma, [avail(orgA)])).get(avail(orgA))).toBe(before);
    expect(await t.prisma.ledgerEntry.count()).toBe(entries);
  });

  it("an overdraft fails as insufficient_funds and rolls back the whole transaction", async () => {
    const before = await checkLedger(t.prisma);
    await expect(
      t.prisma.$transaction((tx) =>
        postTransfer(tx, {
          idempotencyKey: "overdraft",
          kind: "x",
          legs: [
            { code: avail(orgA), amount: -10_000n },
            { code: avail(orgB), amount: 10_000n },
          ],
        }),
      ),
    ).rejects.toMatchObject({ code: "insufficient_funds" });
    expect(await t.prisma.ledgerTransfer.count({ where: { idempotencyKey: "overdraft" } })).toBe(0);
    expect((await checkLedger(t.prisma)).transfers).toBe(before.transfers);
  });

  it("deferred balances (group commit): entries now, the balance moved once for many posts, before the commit", async () => {
    const pool = SYSTEM_ACCOUNTS.checkerPool.code;
    // An organisation of its own: the property below counts on the others' balances.
    const orgC = (await t.prisma.organization.create({ data: { slug: "c", name: "c" }, select: { id: true } })).id;
    await ensureAccounts(t.prisma, [orgAccount(orgC, "available")]);
    const grant = await grantFromTreasury(orgC, 1_000n, "defer:grant");
    expect(grant.created).toBe(true);
    const before = (await getBalances(t.prisma, [pool])).get(pool) ?? 0n;
    const seen = await t.prisma.$transaction(async (tx) => {
      const deltas = new Map<string, bigint>();
      for (const n of [1, 2, 3]) {
        const posted = await postTransfer(tx, {
          idempotencyKey: `defer:${n}`,
          kind: "x",
          legs: [
            { code: avail(orgC), amount: -BigInt(n * 10) },
            { code: pool, amount: BigInt(n * 10) },
          ],
          deferBalances: [pool],
        });
        for (const [c, a] of posted.deferred ?? []) deltas.set(c, (deltas.get(c) ?? 0n) + a);
      }
      // The pool's entries are written, its balance not yet moved: the audit sees the gap.
      const midway = await checkLedger(tx);
      expect(midway.mismatchedAccounts.map((m) => [m.code, m.computed - m.stored])).toEqual([[pool, 60n]]);
      // A replayed key defers nothing.
      const again = await postTransfer(tx, {
        idempotencyKey: "defer:1",
        kind: "x",
        legs: [
          { code: avail(orgC), amount: -10n },
          { code: pool, amount: 10n },
        ],
        deferBalances: [pool],
      });
      expect(again).toMatchObject({ created: false, deferred: new Map() });
      await applyDeferredBalances(tx, deltas);
      return deltas;
    });
    expect(seen).toEqual(new Map([[pool, 60n]]));
    expect((await getBalances(t.prisma, [pool])).get(pool)).toBe(before + 60n);
    expect((await checkLedger(t.prisma)).ok).toBe(true);
    // Overdrawing through deferred moves is refused like any overdraft, and rolls back.
    await expect(t.prisma.$transaction((tx) => applyDeferredBalances(tx, new Map([[pool, -(before + 61n)]])))).rejects.toMatchObject({
      code: "insufficient_funds",
    });
    expect((await getBalances(t.prisma, [pool])).get(pool)).toBe(before + 60n);
  });

  it("entries cannot be updated or deleted", async () => {
    await expect(t.prisma.$executeRaw`UPDATE ledger_entries SET amount = amount + 1`).rejects.toThrow();
    await expect(t.prisma.$executeRaw`DELETE FROM ledger_entries`).rejects.toThrow();
  });

  it("stays balanced under random concurrent transfers (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 400 })), { minLength: 1, maxLength: 12 }),
        async (moves) => {
          const results = await Promise.allSettled(
            moves.map(([aToB, amount], i) =>
              t.prisma.$transaction((tx) =>
                postTransfer(tx, {
                  idempotencyKey: `move:${Math.random()}:${i}`,
                  kind: "move",
                  legs: aToB
                    ? [
                        { code: avail(orgA), amount: -BigInt(amount) },
                        { code: avail(orgB), amount: BigInt(amount) },
                      ]
                    : [
                        { code: avail(orgB), amount: -BigInt(amount) },
                        { code: avail(orgA), amount: BigInt(amount) },
                      ],
                }),
              ),
            ),
          );
          for (const r of results) if (r.status === "rejected") expect(r.reason).toMatchObject({ code: "insufficient_funds" });
          const check = await checkLedger(t.prisma);
          expect(check.ok).toBe(true);
          const b = await getBalances(t.prisma, [avail(orgA), avail(orgB)]);
          expect((b.get(avail(orgA)) ?? 0n) + (b.get(avail(orgB)) ?? 0n)).toBe(500n);
          expect(b.get(avail(orgA))! >= 0n && b.get(avail(orgB))! >= 0n).toBe(true);
        },
      ),
      { numRuns: 15 },
    );
  });
});
