import type { Db } from "@proofgrid/db/db-types";
import { ensureAccounts, ensureSystemAccounts, orgAccount } from "@proofgrid/db/ledger";

/** Every organisation has an available and a held account, a debt account (card refunds
 * and disputes it could not pay), and, for providers, earnings. */
export async function ensureOrgAccounts(tx: Db, orgId: string): Promise<void> {
  await ensureAccounts(tx, [
    orgAccount(orgId, "available"),
    orgAccount(orgId, "held"),
    orgAccount(orgId, "earnings"),
    orgAccount(orgId, "debt"),
  ]);
}

export { ensureSystemAccounts };
