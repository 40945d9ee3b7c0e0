import type { Db } from "../db-types.ts";

/** The balances of the accounts with these codes, as decimal strings (an account that does not exist is absent). */
export async function loadBalanceTexts(db: Db, opts: { codes: readonly string[] }): Promise<{ code: string; balance: string }[]> {
  return db.$queryRaw<{ code: string; balance: string }[]>`
    SELECT code, balance::text FROM ledger_accounts WHERE code = ANY(${opts.codes}::text[])`;
}

/** A provider's job payouts still inside their verification window: the sum of its `held_earnings` accounts (0: none). */
export async function sumHeldEarnings(db: Db, opts: { orgId: string }): Promise<bigint> {
  const held = await db.$queryRaw<{ total: bigint | string | null }[]>`
    SELECT sum(balance)::bigint AS total FROM ledger_accounts WHERE org_id = ${opts.orgId}::uuid AND kind = 'held_earnings'`;
  return BigInt(held[0]?.total ?? 0n);
}
