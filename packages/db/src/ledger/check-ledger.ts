import type { Db } from "../db-types.ts";

export interface LedgerCheck {
  ok: boolean;
  transfers: number;
  /** Transfers whose entries do not sum to zero (must be empty). */
  unbalancedTransfers: string[];
  /** Accounts whose stored balance differs from the sum of their entries. */
  mismatchedAccounts: { code: string; stored: bigint; computed: bigint }[];
  /** Accounts below zero that may not be (the balance trigger refuses it; this proves it held). */
  negativeAccounts: { code: string; balance: bigint }[];
  /** Sum of every account's balance: zero in a closed double-entry system. */
  totalBalance: bigint;
}

/** Recomputes every balance from the entries and checks every transfer sums to zero. */
export async function checkLedger(db: Db): Promise<LedgerCheck> {
  const unbalanced = await db.$queryRaw<{ transfer_id: string }[]>`
    SELECT transfer_id FROM ledger_entries GROUP BY transfer_id HAVING sum(amount) <> 0`;
  const mismatched = await db.$queryRaw<{ code: string; stored: bigint; computed: bigint }[]>`
    SELECT a.code, a.balance AS stored, coalesce(sum(e.amount), 0)::bigint AS computed
    FROM ledger_accounts a LEFT JOIN ledger_entries e ON e.account_id = a.id
    GROUP BY a.id HAVING a.balance <> coalesce(sum(e.amount), 0)`;
  const negative = await db.$queryRaw<{ code: string; balance: bigint }[]>`
    SELECT code, balance FROM ledger_accounts WHERE balance < 0 AND NOT allow_negative ORDER BY code LIMIT 1000`;
  const totals = await db.$queryRaw<{ total: bigint | null; transfers: bigint }[]>`
    SELECT (SELECT sum(balance) FROM ledger_accounts)::bigint AS total,
           (SELECT count(*) FROM ledger_transfers)::bigint AS transfers`;
  const totalBalance = BigInt(totals[0]?.total ?? 0n);
  return {
    ok: unbalanced.length === 0 && mismatched.length === 0 && negative.length === 0 && totalBalance === 0n,
    transfers: Number(totals[0]?.transfers ?? 0n),
    unbalancedTransfers: unbalanced.map((r) => r.transfer_id),
    mismatchedAccounts: mismatched.map((r) => ({ code: r.code, stored: BigInt(r.stored), computed: BigInt(r.computed) })),
    negativeAccounts: negative.map((r) => ({ code: r.code, balance: BigInt(r.balance) })),
    totalBalance,
  };
}
