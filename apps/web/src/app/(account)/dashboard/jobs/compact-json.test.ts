import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compactJson } from "./compact-json.ts";

describe("compactJson", () => {
  it("keeps a vector of numbers on one line", () => {
    const vectors = [Array.from({ length: 384 }, (_, i) => Math.sin(i) / 10)];
    const text = compactJson({ dim: 384, vectors });
    expect(text.split("\n")).toHaveLength(6);
    expect(text).toContain(`"dim": 384`);
  });

  it("is the same JSON as the value, whatever the value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(JSON.parse(compactJson(v))).toEqual(JSON.parse(JSON.stringify(v)));
      }),
    );
  });
});
