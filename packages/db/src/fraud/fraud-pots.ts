import type { Db } from "../db-types.ts";

/** Locks (FOR UPDATE) a fraud case's pot account and reads what is left in it; 0 when it does not exist. */
export async function lockFraudPotBalance(db: Db, opts: { potCode: string }): Promise<bigint> {
  const rows = await db.$queryRaw<{ balance: bigint }[]>`SELECT balance FROM ledger_accounts WHERE code = ${opts.potCode} FOR UPDATE`;
  return BigInt(rows[0]?.balance ?? 0n);
}
