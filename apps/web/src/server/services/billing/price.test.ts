import { describe, expect, it } from "vitest";
import { baseUnitsToMinor, formatMoney, formatTokensAndMoney } from "./price.ts";
import { formatTokenAmount } from "./tokens.ts";

describe("prices as people read them", () => {
  it("tokens with separators, money in the currency's own digits", () => {
    expect(formatTokenAmount(1_000_000_000n)).toBe("1,000");
    expect(formatTokenAmount("2500500000")).toBe("2,500.5");
    expect(formatTokenAmount(-3_000_000n)).toBe("−3");
    expect(formatMoney(1050, "usd")).toBe("$10.50");
    expect(formatMoney(1050, "jpy")).toBe("¥1,050");
    expect(formatMoney(99_999_999, "eur")).toBe("€999,999.99");
  });

  it("a balance in money rounds to the nearest minor unit", () => {
    expect(baseUnitsToMinor(1_000_000n, 1)).toBe(1n);
    expect(baseUnitsToMinor(500_000n, 1)).toBe(1n);
    expect(baseUnitsToMinor(499_999n, 1)).toBe(0n);
    expect(baseUnitsToMinor(-1_500_000n, 2)).toBe(-3n);
    expect(formatTokensAndMoney(1_000_000_000n, 1, "usd")).toBe("1,000 tokens · $10.00");
  });
});
