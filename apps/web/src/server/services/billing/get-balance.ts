import { sumHeldEarnings } from "@proofgrid/db/billing/balances";
import { getBalances, orgAccountCode } from "@proofgrid/db/ledger";
import { db } from "../../db.ts";

// Pure token arithmetic lives in tokens.ts (client components and pure services import it).
export { BASE_UNITS_PER_TOKEN, formatTokens, parseTokens } from "./tokens.ts";

export interface Balance {
  /** Base units as decimal strings (bigint-safe over JSON). */
  available: string;
  held: string;
  /** A provider's released earnings: spendable, and stakeable in one step. */
  earnings: string;
  /** A provider's job payouts still inside their verification window (released to `earnings` after it). */
  heldEarnings: string;
}

export async function getBalance(opts: { orgId: string }): Promise<Balance> {
  const codes = (["available", "held", "earnings"] as const).map((p) => orgAccountCode(opts.orgId, p));
  const balances = await getBalances(db(), codes);
  const get = (i: number) => (balances.get(codes[i] ?? "") ?? 0n).toString();
  const heldEarnings = await sumHeldEarnings(db(), { orgId: opts.orgId });
  return { available: get(0), held: get(1), earnings: get(2), heldEarnings: heldEarnings.toString() };
}
