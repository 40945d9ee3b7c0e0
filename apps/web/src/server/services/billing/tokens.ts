// Tokens for people, base units for machines: 1 token = 10^6 base units. Pure (no database):
// pages, client components and pure services all format amounts with these.

export const BASE_UNITS_PER_TOKEN = 1_000_000n;

export function formatTokens(baseUnits: bigint | string): string {
  const v = BigInt(baseUnits);
  const sign = v < 0n ? "-" : "";
  const abs = v < 0n ? -v : v;
  const frac = (abs % BASE_UNITS_PER_TOKEN).toString().padStart(6, "0").replace(/0+$/, "");
  return `${sign}${abs / BASE_UNITS_PER_TOKEN}${frac ? `.${frac}` : ""}`;
}

/** Whole tokens with thousands separators and up to six decimals: 1234.5 tokens → "1,234.5" (what pages show). */
export function formatTokenAmount(baseUnits: bigint | string): string {
  const v = BigInt(baseUnits);
  const abs = v < 0n ? -v : v;
  const whole = (abs / BASE_UNITS_PER_TOKEN).toLocaleString("en-US");
  const frac = (abs % BASE_UNITS_PER_TOKEN).toString().padStart(6, "0").replace(/0+$/, "");
  return `${v < 0n ? "−" : ""}${whole}${frac ? `.${frac}` : ""}`;
}

/** "250" or "0.5" tokens to base units; null unless a positive number with at most 6 decimals. */
export function parseTokens(text: string): bigint | null {
  const t = text.trim();
  if (!/^\d{1,12}(\.\d{1,6})?$/.test(t)) return null;
  const [whole = "0", frac = ""] = t.split(".");
  const amount = BigInt(whole) * BASE_UNITS_PER_TOKEN + BigInt(frac.padEnd(6, "0"));
  return amount > 0n ? amount : null;
}
