// Pure: what a person reads about prices. The ledger counts token base units (10^6 per
// token); people read tokens and money in the organisation's currency, never base units.
// Imported by client components too, so no server imports here.

import { BASE_UNITS_PER_TOKEN, formatTokenAmount } from "./tokens.ts";

/** Digits after the decimal point of a currency (2 for usd, 0 for jpy), as Intl knows them. */
export function currencyDigits(currency: string): number {
  return new Intl.NumberFormat("en-US", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** An amount in the currency's minor units (cents) as people write it: 1050 usd → "$10.50". */
export function formatMoney(amountMinor: bigint | number | string, currency: string): string {
  const digits = currencyDigits(currency);
  const minor = BigInt(amountMinor);
  const major = Number(minor) / 10 ** digits;
  return new Intl.NumberFormat("en-US", {
    style: "currency",
    currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(major);
}

/** What `tokens` base units cost at `tokenPriceMinor` minor units per token, rounded to the
 * nearest minor unit (balances are worth fractions of a cent). */
export function baseUnitsToMinor(baseUnits: bigint | string, tokenPriceMinor: number): bigint {
  const v = BigInt(baseUnits) * BigInt(tokenPriceMinor);
  const half = BASE_UNITS_PER_TOKEN / 2n;
  return v >= 0n ? (v + half) / BASE_UNITS_PER_TOKEN : -((-v + half) / BASE_UNITS_PER_TOKEN);
}

/** "1,000 tokens · $10.00": the pair every price is shown as. */
export function formatTokensAndMoney(baseUnits: bigint | string, tokenPriceMinor: number, currency: string): string {
  return `${formatTokenAmount(baseUnits)} tokens · ${formatMoney(baseUnitsToMinor(baseUnits, tokenPriceMinor), currency)}`;
}
