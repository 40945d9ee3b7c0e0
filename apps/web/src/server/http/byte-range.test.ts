import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseRange } from "./byte-range.ts";

describe("parseRange", () => {
  it("reads one range, open-ended or closed, and a suffix; clips a last byte past the end", () => {
    expect(parseRange(null, 100)).toEqual({ kind: "full" });
    expect(parseRange("bytes=0-", 100)).toEqual({ kind: "partial", range: { start: 0, end: 99 } });
    expect(parseRange("bytes=40-", 100)).toEqual({ kind: "partial", range: { start: 40, end: 99 } });
    expect(parseRange("bytes=10-19", 100)).toEqual({ kind: "partial", range: { start: 10, end: 19 } });
    expect(parseRange("bytes=90-500", 100)).toEqual({ kind: "partial", range: { start: 90, end: 99 } });
    expect(parseRange("bytes=-30", 100)).toEqual({ kind: "partial", range: { start: 70, end: 99 } });
    expect(parseRange("bytes=-500", 100)).toEqual({ kind: "partial", range: { start: 0, end: 99 } });
  });

  it("refuses a range past the end, backwards, empty, several at once, in other units or malformed", () => {
    for (const h of [
      "bytes=100-",
      "bytes=20-10",
      "bytes=-0",
      "bytes=0-1,3-4",
      "items=0-1",
      "bytes=a-",
      "bytes=",
      `bytes=${"9".repeat(300)}-`,
    ]) {
      expect(parseRange(h, 100).kind, h).toBe("unsatisfiable");
    }
  });

  it("any range it accepts lies inside the resource", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.nat(2e9), fc.option(fc.nat(2e9)), (size, first, last) => {
        const r = parseRange(`bytes=${first}-${last ?? ""}`, size);
        if (r.kind !== "partial") return;
        expect(r.range.start).toBe(first);
        expect(r.range.end).toBeLessThan(size);
        expect(r.range.end).toBeGreaterThanOrEqual(r.range.start);
      }),
    );
  });
});
