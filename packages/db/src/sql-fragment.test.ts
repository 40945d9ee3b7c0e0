import { describe, expect, it } from "vitest";
import { sqlFragment } from "./sql-fragment.ts";

describe("sqlFragment", () => {
  it("splices a fragment's text and keeps every value a parameter, in order", () => {
    const inner = sqlFragment`b = ${2} AND c = ${"x'; DROP TABLE jobs; --"}`;
    const outer = sqlFragment`SELECT ${1} WHERE ${inner} AND d = ${4}`;
    expect(outer.strings).toEqual(["SELECT ", " WHERE b = ", " AND c = ", " AND d = ", ""]);
    expect(outer.values).toEqual([1, 2, "x'; DROP TABLE jobs; --", 4]);
  });

  it("splices fragments without values, at the start and the end", () => {
    const cols = sqlFragment`a, b`;
    const f = sqlFragment`${cols} FROM t WHERE x = ${7}${sqlFragment` LIMIT 1`}`;
    expect(f.strings).toEqual(["a, b FROM t WHERE x = ", " LIMIT 1"]);
    expect(f.values).toEqual([7]);
  });

  it("treats a look-alike object as a value, not as SQL", () => {
    const fake = { strings: ["DROP TABLE jobs"], values: [] };
    const f = sqlFragment`SELECT ${fake}`;
    expect(f.strings).toEqual(["SELECT ", ""]);
    expect(f.values).toEqual([fake]);
  });
});
