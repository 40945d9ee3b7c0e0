import type { Db } from "../db-types.ts";
import type { AccountKind } from "../generated/prisma/enums.ts";

/** Platform-wide accounts. `treasury` and `stripe_clearing` are the only sources of new
 * tokens (admin grants and card purchases), so they alone may go below zero. */
export const SYSTEM_ACCOUNTS = {
  checkerPool: { code: "checker_pool", kind: "checker_pool", allowNegative: false },
  protocolFee: { code: "protocol_fee", kind: "protocol_fee", allowNegative: false },
  treasury: { code: "treasury", kind: "treasury", allowNegative: true },
  emissionPool: { code: "emission_pool", kind: "emission_pool", allowNegative: true },
  stripeClearing: { code: "stripe_clearing", kind: "stripe_clearing", allowNegative: true },
  /** Withdrawals taken from providers' earnings and not yet paid on chain (or returned). */
  withdrawalsPending: { code: "withdrawals_pending", kind: "withdrawals_pending", allowNegative: false },
  /** Tokens paid out on chain: what left the books (the ledger check matches it to Transfer events). */
  withdrawalsPaid: { code: "withdrawals_paid", kind: "withdrawals_paid", allowNegative: false },
} as const satisfies Record<string, { code: string; kind: AccountKind; allowNegative: boolean }>;

/** `debt` is what an organisation owes after a card payment it had already spent was
 * refunded or disputed: never above zero, and the only organisation account that may go below. */
export type OrgAccountPurpose = "available" | "held" | "earnings" | "stake" | "debt";

const PURPOSE_KIND: Record<OrgAccountPurpose, AccountKind> = {
  available: "org_available",
  held: "org_held",
  earnings: "provider_earnings",
  stake: "stake",
  debt: "org_debt",
};

export function orgAccountCode(orgId: string, purpose: OrgAccountPurpose): string {
  return `org:${orgId}:${purpose}`;
}

export interface AccountSpec {
  code: string;
  kind: AccountKind;
  orgId?: string | null;
  allowNegative?: boolean;
}

export function orgAccount(orgId: string, purpose: OrgAccountPurpose): AccountSpec {
  return { code: orgAccountCode(orgId, purpose), kind: PURPOSE_KIND[purpose], orgId, allowNegative: purpose === "debt" };
}

/** Creates the accounts that do not exist yet (idempotent; safe under concurrency). */
export async function ensureAccounts(db: Db, specs: readonly AccountSpec[]): Promise<void> {
  for (const s of specs) {
    await db.$executeRaw`
      INSERT INTO ledger_accounts (id, code, kind, org_id, allow_negative)
      VALUES (gen_random_uuid(), ${s.code}, ${s.kind}::"AccountKind", ${s.orgId ?? null}::uuid, ${s.allowNegative ?? false})
      ON CONFLICT (code) DO NOTHING`;
  }
}

export async function ensureSystemAccounts(db: Db): Promise<void> {
  await ensureAccounts(db, Object.values(SYSTEM_ACCOUNTS));
}

export async function getBalances(db: Db, codes: readonly string[]): Promise<Map<string, bigint>> {
  const rows = await db.$queryRaw<{ code: string; balance: bigint }[]>`
    SELECT code, balance FROM ledger_accounts WHERE code = ANY(${[...codes]}::text[])`;
  return new Map(rows.map((r) => [r.code, BigInt(r.balance)]));
}
