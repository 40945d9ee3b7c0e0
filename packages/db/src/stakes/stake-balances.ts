import type { Db } from "../db-types.ts";

// Balances of the ledger accounts a stake moves between: the provider's released earnings
// and credits (`org:<id>:earnings`, `org:<id>:available`) and the node's bonded and unbonding
// stake (`node:<id>:stake`, `node:<id>:unbonding`). An account that does not exist yet has no
// row: callers read a missing one as 0.

export interface LedgerBalanceRow {
  code: string;
  balance: bigint;
}

/** The provider's earnings and available balances: what a stake can come from. */
export async function loadStakeableBalances(db: Db, opts: { earningsCode: string; availableCode: string }): Promise<LedgerBalanceRow[]> {
  return db.$queryRaw<LedgerBalanceRow[]>`
    SELECT code, balance FROM ledger_accounts WHERE code IN (${opts.earningsCode}, ${opts.availableCode})`;
}

/** A node's bonded and unbonding balances. */
export async function loadNodeStakeBalances(db: Db, opts: { stakeCode: string; unbondingCode: string }): Promise<LedgerBalanceRow[]> {
  return db.$queryRaw<LedgerBalanceRow[]>`
    SELECT code, balance FROM ledger_accounts WHERE code IN (${opts.stakeCode}, ${opts.unbondingCode})`;
}

/** The four balances of a node's stake panel: the provider's earnings and credits, the node's bonded and unbonding stake. */
export async function loadStakePanelBalances(db: Db, opts: { orgId: string; nodeId: string }): Promise<LedgerBalanceRow[]> {
  const earnings = `org:${opts.orgId}:earnings`;
  const available = `org:${opts.orgId}:available`;
  const stake = `node:${opts.nodeId}:stake`;
  const unbonding = `node:${opts.nodeId}:unbonding`;
  return db.$queryRaw<LedgerBalanceRow[]>`
    SELECT code, balance FROM ledger_accounts WHERE code IN (${earnings}, ${available}, ${stake}, ${unbonding})`;
}

/** Locks a node's unbonding account (FOR UPDATE) and reads its balance; undefined when it does not exist. */
export async function lockUnbondingBalance(db: Db, opts: { unbondingCode: string }): Promise<bigint | undefined> {
  const bal = await db.$queryRaw<Pick<LedgerBalanceRow, "balance">[]>`
    SELECT balance FROM ledger_accounts WHERE code = ${opts.unbondingCode} FOR UPDATE`;
  return bal[0]?.balance;
}
