import type { Db } from "../db-types.ts";
import type { ChainHex } from "./withdrawals.ts";

/** An organisation's verified payout address (`payout_addresses`, one row per organisation). */
export interface PayoutAddressRow {
  /** EIP-55 checksummed. */
  address: ChainHex;
  verified_at: Date;
}

export async function loadPayoutAddress(db: Db, opts: { orgId: string }): Promise<PayoutAddressRow | null> {
  const rows = await db.$queryRaw<PayoutAddressRow[]>`
    SELECT address, verified_at FROM payout_addresses WHERE org_id = ${opts.orgId}::uuid`;
  return rows[0] ?? null;
}

/** Where the organisation's withdrawals are paid; null until it has verified an address. */
export async function findPayoutAddress(db: Db, opts: { orgId: string }): Promise<ChainHex | null> {
  const rows = await db.$queryRaw<Pick<PayoutAddressRow, "address">[]>`
    SELECT address FROM payout_addresses WHERE org_id = ${opts.orgId}::uuid`;
  return rows[0]?.address ?? null;
}

export interface SavePayoutAddressOptions {
  orgId: string;
  address: string;
  /** The message that was signed, and the signature: the proof, kept. */
  message: string;
  signature: string;
  /** The user who set it (null: an API key). */
  userId: string | null;
}

/** Makes `address` the organisation's payout address, replacing any other; returns when it was verified. */
export async function savePayoutAddress(db: Db, opts: SavePayoutAddressOptions): Promise<Date> {
  const saved = await db.$queryRaw<Pick<PayoutAddressRow, "verified_at">[]>`
    INSERT INTO payout_addresses (org_id, address, message, signature, verified_by, verified_at)
    VALUES (${opts.orgId}::uuid, ${opts.address}, ${opts.message}, ${opts.signature}, ${opts.userId}::uuid, now())
    ON CONFLICT (org_id) DO UPDATE SET address = EXCLUDED.address, message = EXCLUDED.message, signature = EXCLUDED.signature,
      verified_by = EXCLUDED.verified_by, verified_at = EXCLUDED.verified_at
    RETURNING verified_at`;
  return saved[0]?.verified_at as Date;
}
