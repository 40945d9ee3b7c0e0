import { orgAccountCode, postTransfer, SYSTEM_ACCOUNTS } from "@proofgrid/db/ledger";
import { sql, sqlTransaction } from "@proofgrid/db/sql-client";
import type { Address } from "viem";
import { generatePrivateKey, type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";

/**
 * Earnings as a provider would have them after settled jobs: tokens in its available
 * earnings account (from the emission pool, the source of rewards). Withdrawals draw from it.
 */
export async function fundEarnings(orgId: string, amount: bigint, key: string): Promise<void> {
  const { ensureOrgAccounts } = await import("../../apps/web/src/server/services/billing/org-accounts.ts");
  await sqlTransaction(async (tx) => {
    await ensureOrgAccounts(tx, orgId);
    await postTransfer(tx, {
      idempotencyKey: `test-earnings:${key}`,
      kind: "reward",
      memo: "test earnings",
      legs: [
        { code: SYSTEM_ACCOUNTS.emissionPool.code, amount: -amount },
        { code: orgAccountCode(orgId, "earnings"), amount },
      ],
    });
  });
}

/** A fresh wallet: a viem local account (the key never leaves the test). */
export function newWallet(): PrivateKeyAccount {
  return privateKeyToAccount(generatePrivateKey());
}

/** Proves `wallet` is the organisation's payout address through the real challenge and signature. */
export async function setPayoutAddress(orgId: string, wallet: PrivateKeyAccount): Promise<Address> {
  const { createPayoutAddressChallenge, verifyPayoutAddress } = await import(
    "../../apps/web/src/server/services/payouts/payout-address.ts"
  );
  const c = await createPayoutAddressChallenge({ orgId, address: wallet.address });
  const signature = await wallet.signMessage({ message: c.message });
  const r = await verifyPayoutAddress({ orgId, userId: null, challengeId: c.challengeId, signature });
  return r.address;
}

export async function withdrawalRow(id: string) {
  const rows = await sql().$queryRaw<
    {
      state: string;
      tx_hash: string | null;
      nonce: string | null;
      broadcast_count: number;
      failure_reason: string | null;
      last_error: string | null;
    }[]
  >`SELECT state, tx_hash, nonce, broadcast_count, failure_reason, last_error FROM withdrawals WHERE id = ${id}::uuid`;
  return rows[0];
}
