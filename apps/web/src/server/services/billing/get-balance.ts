import { getBalances, orgAccountCode } from "@proofgrid/db/ledger";
import { db } from "../../db.ts";

// Pure token arithmetic lives in tokens.ts (client components and pure services import it).
export { BASE_UNITS_PER_TOKEN, formatTokens, parseTokens } from "./tokens.ts";

export interface Balance {
  /** Base units as decimal strings (bigint-safe over JSON). */
  available: string;
  held: string;
  earnings: string;
}

export async function getBalance(opts: { orgId: string }): Promise<Balance> {
  const codes = (["available", "held", "earnings"] as const).map((p) => orgAccountCode(opts.orgId, p));
  const balances = await getBalances(db(), codes);
  const get = (i: number) => (balances.get(codes[i] ?? "") ?? 0n).toString();
  return { available: get(0), held: get(1), earnings: get(2) };
}
