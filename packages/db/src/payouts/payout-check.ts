import type { Db } from "../db-types.ts";
import type { WithdrawalRow } from "./withdrawals.ts";

// The ledger check's payout half reads these: what the withdrawals say was paid and is still
// open, and every withdrawal whose transaction the chain may show.

export interface WithdrawalTotals {
  /** Σ net of paid withdrawals (what withdrawals_paid must hold). */
  paid: bigint | string | null;
  /** Σ amount of open (queued, signed) ones (what withdrawals_pending must hold). */
  open: bigint | string | null;
}

export async function sumWithdrawals(db: Db): Promise<WithdrawalTotals> {
  const sums = await db.$queryRaw<WithdrawalTotals[]>`
    SELECT sum(net) FILTER (WHERE state = 'paid')::bigint AS paid,
           sum(amount) FILTER (WHERE state IN ('queued', 'signed'))::bigint AS open
    FROM withdrawals`;
  return sums[0] ?? { paid: null, open: null };
}

export type SignedWithdrawalRow = Pick<
  WithdrawalRow,
  "id" | "state" | "net" | "to_address" | "chain_id" | "token_address" | "from_address" | "tx_hash" | "signed_at_block"
>;

/** Withdrawals that ever had a transaction: only they can have moved tokens on chain. */
export async function loadSignedWithdrawals(db: Db): Promise<SignedWithdrawalRow[]> {
  return db.$queryRaw<SignedWithdrawalRow[]>`
    SELECT id, state, net, to_address, chain_id, token_address, from_address, tx_hash, signed_at_block
    FROM withdrawals WHERE tx_hash IS NOT NULL`;
}
