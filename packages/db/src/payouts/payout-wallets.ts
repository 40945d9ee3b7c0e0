import type { Db } from "../db-types.ts";

// The payout wallet's nonces: `payout_wallets.next_nonce` counts those handed out, so each
// withdrawal's transaction gets its own, recorded in the transaction that hands it out.

/** Creates the wallet's row (next nonce 0) unless it exists. */
export async function ensurePayoutWallet(db: Db, opts: { chainId: number; address: string }): Promise<void> {
  await db.$executeRaw`
    INSERT INTO payout_wallets (chain_id, address, next_nonce) VALUES (${opts.chainId}, ${opts.address}, 0) ON CONFLICT DO NOTHING`;
}

/** Locks the wallet's row (FOR UPDATE) and reads the next nonce it would hand out (0: no row). */
export async function lockNextNonce(db: Db, opts: { chainId: number; address: string }): Promise<bigint> {
  const walletRow = await db.$queryRaw<{ next_nonce: string }[]>`
    SELECT next_nonce FROM payout_wallets WHERE chain_id = ${opts.chainId} AND address = ${opts.address} FOR UPDATE`;
  return BigInt(walletRow[0]?.next_nonce ?? 0);
}

export async function setNextNonce(db: Db, opts: { chainId: number; address: string; nextNonce: bigint }): Promise<void> {
  const { chainId, address, nextNonce } = opts;
  await db.$executeRaw`
    UPDATE payout_wallets SET next_nonce = ${nextNonce}, updated_at = now() WHERE chain_id = ${chainId} AND address = ${address}`;
}
