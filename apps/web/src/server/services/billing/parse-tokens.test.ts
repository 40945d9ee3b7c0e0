import { describe, expect, it } from "vitest";
import { formatTokens, parseTokens } from "./get-balance.ts";

describe("parseTokens (the admin CLI's and the grant form's amounts)", () => {
  it("reads whole and fractional tokens into base units, the inverse of formatTokens", () => {
    expect(parseTokens("250")).toBe(250_000_000n);
    expect(parseTokens(" 0.5 ")).toBe(500_000n);
    expect(parseTokens("0.000001")).toBe(1n);
    for (const t of ["250", "0.5", "12.345678"]) expect(formatTokens(parseTokens(t) ?? 0n)).toBe(t);
  });

  it("refuses anything else", () => {
    for (const bad of ["", "0", "0.0", "-1", "1.2345678", "1e6", "abc", "1,5", "1234567890123"]) expect(parseTokens(bad)).toBeNull();
  });
});
