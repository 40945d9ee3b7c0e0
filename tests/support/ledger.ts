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
    const check = await checkLedger(prisma);
    const settlements = await prisma.ledgerTransfer.groupBy({ by: ["kind"], _count: { _all: true } });
    return {
      available: b.get(codes[0] ?? "") ?? 0n,
      held: b.get(codes[1] ?? "") ?? 0n,
      providerEarnings: b.get(codes[2] ?? "") ?? 0n,
      checkerPool: b.get(codes[3] ?? "") ?? 0n,
      protocolFee: b.get(codes[4] ?? "") ?? 0n,
      check,
      transfersByKind: Object.fromEntries(settlements.map((s) => [s.kind, s._count._all])),
    };
  } finally {
    await prisma.$disconnect();
  }
}
