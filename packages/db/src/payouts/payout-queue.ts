import type { Db } from "../db-types.ts";
import type { ChainHex, WithdrawalRow, WithdrawalState } from "./withdrawals.ts";

// The payout loop's reads and writes of `withdrawals`: the queue it signs from, its notes
// on each send, and the transitions it makes. The callers make each transition (signed, paid,
// failed) in one transaction, after lockWithdrawalState in that same transaction.

/** A queued or signed withdrawal as the payout loop reads it, with its ages in ms. */
export type OpenWithdrawalRow = Pick<
  WithdrawalRow,
  | "id"
  | "org_id"
  | "state"
  | "amount"
  | "fee"
  | "net"
  | "to_address"
  | "chain_id"
  | "token_address"
  | "from_address"
  | "nonce"
  | "raw_tx"
  | "tx_hash"
  | "broadcast_count"
  | "last_broadcast_at"
  | "nonce_taken_since"
  | "last_error"
> & {
  age_ms: number;
  since_broadcast_ms: number | null;
  nonce_taken_ms: number | null;
};

/** At most `limit` withdrawals in `state` on the chain. */
export async function loadOpenWithdrawals(
  db: Db,
  opts: { state: "queued" | "signed"; chainId: number; limit: number },
): Promise<OpenWithdrawalRow[]> {
  // Queued: oldest first. Signed: by nonce, so a lost transaction is sent again before the
  // later ones that wait for it.
  return db.$queryRaw<OpenWithdrawalRow[]>`
    SELECT id, org_id, state, amount, fee, net, to_address, chain_id, token_address, from_address, nonce, raw_tx, tx_hash,
      broadcast_count, last_broadcast_at, nonce_taken_since, last_error,
      (extract(epoch FROM now() - created_at) * 1000)::float8 AS age_ms,
      (extract(epoch FROM now() - last_broadcast_at) * 1000)::float8 AS since_broadcast_ms,
      (extract(epoch FROM now() - nonce_taken_since) * 1000)::float8 AS nonce_taken_ms
    FROM withdrawals
    WHERE state = ${opts.state}::"WithdrawalState" AND chain_id = ${opts.chainId}
    ORDER BY CASE WHEN state = 'signed' THEN nonce END, created_at
    LIMIT ${opts.limit}`;
}

/** Locks the withdrawal's row (FOR UPDATE) and reads its state; null when there is none. */
export async function lockWithdrawalState(db: Db, opts: { id: string }): Promise<WithdrawalState | null> {
  const rows = await db.$queryRaw<Pick<WithdrawalRow, "state">[]>`SELECT state FROM withdrawals WHERE id = ${opts.id}::uuid FOR UPDATE`;
  return rows[0]?.state ?? null;
}

/** Final: the withdrawal's tokens go back to the provider (`reason` is the caller's, already bounded). */
export async function markWithdrawalFailed(db: Db, opts: { id: string; reason: string }): Promise<void> {
  await db.$executeRaw`
    UPDATE withdrawals SET state = 'failed', failed_at = now(), failure_reason = ${opts.reason} WHERE id = ${opts.id}::uuid`;
}

/** Final: the transfer is mined in `minedBlock` and deep enough. */
export async function markWithdrawalPaid(db: Db, opts: { id: string; minedBlock: bigint }): Promise<void> {
  await db.$executeRaw`
    UPDATE withdrawals SET state = 'paid', paid_at = now(), mined_block = ${opts.minedBlock}, last_error = NULL, nonce_taken_since = NULL
    WHERE id = ${opts.id}::uuid`;
}

export interface MarkWithdrawalSignedOptions {
  id: string;
  fromAddress: ChainHex;
  nonce: bigint;
  rawTx: ChainHex;
  txHash: ChainHex;
  /** The chain's head when it was signed. */
  signedAtBlock: bigint;
}

/** Records the withdrawal's one signed transaction (a trigger refuses any later change to it). */
export async function markWithdrawalSigned(db: Db, opts: MarkWithdrawalSignedOptions): Promise<void> {
  const { id, fromAddress, nonce, rawTx, txHash, signedAtBlock } = opts;
  await db.$executeRaw`
    UPDATE withdrawals SET state = 'signed', from_address = ${fromAddress}, nonce = ${nonce}, raw_tx = ${rawTx}, tx_hash = ${txHash},
      signed_at = now(), signed_at_block = ${signedAtBlock}, last_error = NULL
    WHERE id = ${id}::uuid`;
}

/** Notes why the withdrawal is stuck (`message` is the caller's, already bounded). */
export async function recordWithdrawalError(db: Db, opts: { id: string; message: string }): Promise<void> {
  await db.$executeRaw`UPDATE withdrawals SET last_error = ${opts.message} WHERE id = ${opts.id}::uuid`;
}

/** A send that failed: noted, and timed like a broadcast so it is retried after the interval. */
export async function recordBroadcastFailure(db: Db, opts: { id: string; message: string }): Promise<void> {
  await db.$executeRaw`UPDATE withdrawals SET last_error = ${opts.message}, last_broadcast_at = now() WHERE id = ${opts.id}::uuid`;
}

export async function recordBroadcast(db: Db, opts: { id: string }): Promise<void> {
  await db.$executeRaw`
    UPDATE withdrawals SET broadcast_count = broadcast_count + 1, last_broadcast_at = now(), last_error = NULL WHERE id = ${opts.id}::uuid`;
}

/** First sight of the withdrawal's nonce used by another confirmed transaction (kept if already set). */
export async function markNonceTaken(db: Db, opts: { id: string }): Promise<void> {
  await db.$executeRaw`UPDATE withdrawals SET nonce_taken_since = now() WHERE id = ${opts.id}::uuid AND nonce_taken_since IS NULL`;
}

export async function clearNonceTaken(db: Db, opts: { id: string }): Promise<void> {
  await db.$executeRaw`UPDATE withdrawals SET nonce_taken_since = NULL WHERE id = ${opts.id}::uuid`;
}
