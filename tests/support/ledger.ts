import { checkLedger, getBalances, orgAccountCode } from "@proofgrid/db/ledger";
import { createPrismaClient } from "@proofgrid/db/client";

/** Reads balances and the ledger check straight from Postgres (not through the API). */
export async function ledgerSnapshot(databaseUrl: string, orgIds: { customer: string; provider: string }) {
  const prisma = createPrismaClient(databaseUrl, { maxConnections: 2 });
  try {
    const codes = [
      orgAccountCode(orgIds.customer, "available"),
      orgAccountCode(orgIds.customer, "held"),
      orgAccountCode(orgIds.provider, "earnings"),
      "checker_pool",
      "protocol_fee",
    ];
    const b = await getBalances(prisma, codes);
    // Job payouts are held on the provider's nodes until their verification window closes.
    const held = await prisma.$queryRaw<{ total: bigint | null }[]>`
      SELECT sum(balance)::bigint AS total FROM ledger_accounts WHERE org_id = ${orgIds.provider}::uuid AND kind = 'held_earnings'`;
    const check = await checkLedger(prisma);
    const settlements = await prisma.ledgerTransfer.groupBy({ by: ["kind"], _count: { _all: true } });
    return {
      available: b.get(codes[0] ?? "") ?? 0n,
      held: b.get(codes[1] ?? "") ?? 0n,
      /** Released earnings plus payouts still held on its nodes. */
      providerEarnings: (b.get(codes[2] ?? "") ?? 0n) + BigInt(held[0]?.total ?? 0n),
      checkerPool: b.get(codes[3] ?? "") ?? 0n,
      protocolFee: b.get(codes[4] ?? "") ?? 0n,
      check,
      transfersByKind: Object.fromEntries(settlements.map((s) => [s.kind, s._count._all])),
    };
  } finally {
    await prisma.$disconnect();
  }
}

/** How many ledger transfers of each kind each job has (`{ hold: 1, settle: 1 }` for a job paid once). */
export async function transferKindsByJob(
  prisma: ReturnType<typeof createPrismaClient>,
  jobIds: string[],
): Promise<Map<string, Record<string, number>>> {
  const transfers = await prisma.ledgerTransfer.groupBy({
    by: ["jobId", "kind"],
    where: { jobId: { in: jobIds } },
    _count: { _all: true },
  });
  const perJob = new Map<string, Record<string, number>>();
  for (const t of transfers) {
    const m = perJob.get(t.jobId ?? "") ?? {};
    m[t.kind] = t._count._all;
    perJob.set(t.jobId ?? "", m);
  }
  return perJob;
}
