import { getBalances, orgAccountCode } from "@proofgrid/db/ledger";
import { db } from "../../db.ts";

export const BASE_UNITS_PER_TOKEN = 1_000_000n;

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
  const held = await db().$queryRaw<{ total: bigint | null }[]>`
    SELECT sum(balance)::bigint AS total FROM ledger_accounts WHERE org_id = ${opts.orgId}::uuid AND kind = 'held_earnings'`;
  return { available: get(0), held: get(1), earnings: get(2), heldEarnings: BigInt(held[0]?.total ?? 0n).toString() };
}

export function formatTokens(baseUnits: bigint | string): string {
  const v = BigInt(baseUnits);
  const sign = v < 0n ? "-" : "";
  const abs = v < 0n ? -v : v;
  const frac = (abs % BASE_UNITS_PER_TOKEN).toString().padStart(6, "0").replace(/0+$/, "");
  return `${sign}${abs / BASE_UNITS_PER_TOKEN}${frac ? `.${frac}` : ""}`;
}

/** "250" or "0.5" tokens to base units; null unless a positive number with at most 6 decimals. */
export function parseTokens(text: string): bigint | null {
  const t = text.trim();
  if (!/^\d{1,12}(\.\d{1,6})?$/.test(t)) return null;
  const [whole = "0", frac = ""] = t.split(".");
  const amount = BigInt(whole) * BASE_UNITS_PER_TOKEN + BigInt(frac.padEnd(6, "0"));
  return amount > 0n ? amount : null;
}
