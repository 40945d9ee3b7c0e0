import { describe, expect, it } from "vitest";
import { safeNextPath } from "./next-path";

describe("safeNextPath", () => {
  it("keeps paths on this site and refuses anything that leaves it", () => {
    expect(safeNextPath("/invite/pgi_abc")).toBe("/invite/pgi_abc");
    expect(safeNextPath("/dashboard?org=1")).toBe("/dashboard?org=1");
    for (const bad of [
      "https://evil.example",
      "//evil.example",
      "/\\evil.example",
      "evil",
      "/\nx",
      "",
      undefined,
      ["/a"],
      `/${"a".repeat(600)}`,
    ]) {
      expect(safeNextPath(bad as string | undefined)).toBeNull();
    }
  });
});
