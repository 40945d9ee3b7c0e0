import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../testing/create-test-database.ts";
import { ensureAccounts, ensureSystemAccounts, getBalances, orgAccount, SYSTEM_ACCOUNTS } from "./accounts.ts";
import { checkLedger } from "./check-ledger.ts";
import { LedgerError } from "./ledger-error.ts";
import { postTransfer } from "./post-transfer.ts";

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

describe("ledger", () => {
  it("posts balanced transfers once per idempotency key", async () => {
    const grant = () =>
      t.prisma.$transaction((tx) =>
        postTransfer(tx, {
          idempotencyKey: "grant:1",
          kind: "grant",
          legs: [
            { code: SYSTEM_ACCOUNTS.treasury.code, amount: -500n },
            { code: avail(orgA), amount: 500n },
          ],
        }),
      );
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
