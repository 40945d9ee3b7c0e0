import type { Db } from "../db-types.ts";
import type { WithdrawalState } from "../generated/prisma/enums.ts";
import { orgAccountCode } from "../ledger/accounts.ts";

export type { WithdrawalState };

/** An address, a transaction hash or signed transaction bytes, as the chain writes them. */
export type ChainHex = `0x${string}`;

/**
 * A `withdrawals` row as raw SQL reads it (the columns any query here selects). int8 columns
 * arrive as strings from pg and as bigints from Prisma: read them through BigInt().
 */
export interface WithdrawalRow {
  id: string;
  org_id: string;
  state: WithdrawalState;
  amount: bigint | string;
  fee: bigint | string;
  net: bigint | string;
  to_address: ChainHex;
  chain_id: number;
  token_address: ChainHex;
  from_address: ChainHex | null;
  nonce: bigint | string | null;
  raw_tx: ChainHex | null;
  tx_hash: ChainHex | null;
  signed_at_block: bigint | string | null;
  broadcast_count: number;
  last_broadcast_at: Date | null;
  nonce_taken_since: Date | null;
  last_error: string | null;
  created_at: Date;
  paid_at: Date | null;
  failed_at: Date | null;
  failure_reason: string | null;
}

/** What a provider is shown of a withdrawal. */
export type WithdrawalViewRow = Pick<
  WithdrawalRow,
  | "id"
  | "state"
  | "amount"
  | "fee"
  | "net"
  | "to_address"
  | "chain_id"
  | "tx_hash"
  | "created_at"
  | "paid_at"
  | "failed_at"
  | "failure_reason"
>;

/** The organisation's available earnings (what it can withdraw), 0 without an account. */
export async function loadEarningsBalance(db: Db, opts: { orgId: string }): Promise<bigint> {
  const code = orgAccountCode(opts.orgId, "earnings");
  const rows = await db.$queryRaw<{ balance: string }[]>`SELECT balance FROM ledger_accounts WHERE code = ${code}`;
  return BigInt(rows[0]?.balance ?? 0);
}

/**
 * Locks the organisation's row (FOR UPDATE): it serialises the organisation's withdrawals, so
 * the open-withdrawals bound holds under concurrent requests. False when there is no such
 * organisation.
 */
export async function lockOrgForWithdrawal(db: Db, opts: { orgId: string }): Promise<boolean> {
  const org = await db.$queryRaw<{ id: string }[]>`SELECT id FROM organizations WHERE id = ${opts.orgId}::uuid FOR UPDATE`;
  return org[0] !== undefined;
}

/** The organisation's withdrawals still being paid (queued or signed). */
export async function countOpenWithdrawals(db: Db, opts: { orgId: string }): Promise<number> {
  const open = await db.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM withdrawals WHERE org_id = ${opts.orgId}::uuid AND state IN ('queued', 'signed')`;
  return open[0]?.n ?? 0;
}

export interface InsertWithdrawalOptions {
  orgId: string;
  userId: string | null;
  amount: bigint;
  fee: bigint;
  toAddress: string;
  chainId: number;
  tokenAddress: string;
  idempotencyKey: string | null;
}

/** Queues a withdrawal of `amount` (`amount - fee` paid on chain); unique per (organisation, key). */
export async function insertWithdrawal(db: Db, opts: InsertWithdrawalOptions): Promise<WithdrawalViewRow> {
  const { orgId, userId, amount, fee, toAddress, chainId, tokenAddress, idempotencyKey } = opts;
  const inserted = await db.$queryRaw<WithdrawalViewRow[]>`
    INSERT INTO withdrawals (id, org_id, amount, fee, net, to_address, chain_id, token_address, idempotency_key, requested_by)
    VALUES (gen_random_uuid(), ${orgId}::uuid, ${amount}, ${fee}, ${amount - fee}, ${toAddress}, ${chainId}, ${tokenAddress},
            ${idempotencyKey}, ${userId}::uuid)
    RETURNING id, state, amount, fee, net, to_address, chain_id, tx_hash, created_at, paid_at, failed_at, failure_reason`;
  return inserted[0] as WithdrawalViewRow;
}

/** The organisation's withdrawal requested with this idempotency key, if any. */
export async function loadWithdrawalByKey(db: Db, opts: { orgId: string; idempotencyKey: string }): Promise<WithdrawalViewRow | null> {
  const rows = await db.$queryRaw<WithdrawalViewRow[]>`
    SELECT id, state, amount, fee, net, to_address, chain_id, tx_hash, created_at, paid_at, failed_at, failure_reason
    FROM withdrawals WHERE org_id = ${opts.orgId}::uuid AND idempotency_key = ${opts.idempotencyKey}`;
  return rows[0] ?? null;
}

/** One withdrawal of the organisation (null: none, or another organisation's). */
export async function loadOrgWithdrawal(db: Db, opts: { orgId: string; id: string }): Promise<WithdrawalViewRow | null> {
  const rows = await db.$queryRaw<WithdrawalViewRow[]>`
    SELECT id, state, amount, fee, net, to_address, chain_id, tx_hash, created_at, paid_at, failed_at, failure_reason
    FROM withdrawals WHERE id = ${opts.id}::uuid AND org_id = ${opts.orgId}::uuid`;
  return rows[0] ?? null;
}

/** The organisation's withdrawals, newest first; `limit` is the caller's bound. */
export async function listOrgWithdrawals(db: Db, opts: { orgId: string; limit: number }): Promise<WithdrawalViewRow[]> {
  return db.$queryRaw<WithdrawalViewRow[]>`
    SELECT id, state, amount, fee, net, to_address, chain_id, tx_hash, created_at, paid_at, failed_at, failure_reason
    FROM withdrawals WHERE org_id = ${opts.orgId}::uuid ORDER BY created_at DESC LIMIT ${opts.limit}`;
}
