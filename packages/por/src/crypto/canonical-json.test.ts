import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CanonicalJsonError, MAX_CANONICAL_JSON_DEPTH, canonicalJson, hashJson, sha256Hex } from "./canonical-json.ts";

describe("canonicalJson", () => {
  it("sorts keys at every level and writes no whitespace", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: "x y" } })).toBe(
      '{"a":{"c":"x y","d":[3,{"y":null,"z":true}]},"b":1}',
    );
  });

  it("sorts by UTF-16 code units as RFC 8785 does", () => {
    // U+20AC (€) sorts before U+1F600 (😀, surrogate pair D83D…) by code unit, after "a".
    expect(canonicalJson({ "😀": 1, "€": 2, a: 3, B: 4 })).toBe('{"B":4,"a":3,"€":2,"😀":1}');
  });

  it("spells numbers as ECMAScript JSON does and writes -0 as 0", () => {
    expect(canonicalJson([1e21, 1.5e-7, -0, 0.1, 123456789012345680000])).toBe("[1e+21,1.5e-7,0,0.1,123456789012345680000]");
  });

  it("escapes strings like JSON.stringify, including lone surrogates", () => {
    expect(canonicalJson('a"\\\n\u0001\ud800')).toBe('"a\\"\\\\\\n\\u0001\\ud800"');
  });

  it("keeps own __proto__ keys as data", () => {
    const value: unknown = JSON.parse('{"__proto__":{"x":1},"a":2}');
    expect(canonicalJson(value)).toBe('{"__proto__":{"x":1},"a":2}');
  });

  it("accepts null-prototype objects", () => {
    const record = Object.create(null) as Record<string, number>;
    record.b = 2;
    record.a = 1;
    expect(canonicalJson(record)).toBe('{"a":1,"b":2}');
  });

  it.each([
    ["NaN", { a: [1, Number.NaN] }, "$.a[1]"],
    ["Infinity", { a: Number.POSITIVE_INFINITY }, "$.a"],
    ["-Infinity", [Number.NEGATIVE_INFINITY], "$[0]"],
    ["undefined member", { a: undefined }, "$.a"],
    ["undefined root", undefined, "$"],
    ["bigint", { "key with space": 1n }, '$["key with space"]'],
    ["function", { f: () => 1 }, "$.f"],
    ["symbol", [Symbol("s")], "$[0]"],
    ["Date", { when: new Date(0) }, "$.when"],
    ["Map", new Map(), "$"],
    ["Uint8Array", { bytes: new Uint8Array(2) }, "$.bytes"],
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point of the test
    ["sparse array", [1, , 3], "$[1]"],
  ])("rejects %s with the path of the offending value", (_name, value, path) => {
    let caught: unknown;
    try {
      canonicalJson(value);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CanonicalJsonError);
    expect((caught as CanonicalJsonError).path).toBe(path);
  });

  it("rejects cycles but accepts a shared (acyclic) subobject", () => {
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(/circular reference at \$\.self/);
  });

  it("bounds nesting depth", () => {
    let deep: unknown = 0;
    for (let i = 0; i < MAX_CANONICAL_JSON_DEPTH; i++) deep = [deep];
    expect(() => canonicalJson(deep)).not.toThrow();
    expect(() => canonicalJson([deep])).toThrow(/nesting deeper/);
  });

  it("rejects symbol keys", () => {
    expect(() => canonicalJson({ [Symbol("k")]: 1 })).toThrow(CanonicalJsonError);
  });
});

describe("canonicalJson properties", () => {
  it("round-trips through JSON.parse to the same canonical text", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
        expect(JSON.parse(text)).toStrictEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 300 },
    );
  });

  it("does not depend on the insertion order of keys", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 })), fc.infiniteStream(fc.nat()), (record, randoms) => {
        const entries = Object.entries(record);
        const iterator = randoms[Symbol.iterator]();
        for (let i = entries.length - 1; i > 0; i--) {
          const j = (iterator.next().value ?? 0) % (i + 1);
          const a = entries[i];
          const b = entries[j];
          if (a && b) [entries[i], entries[j]] = [b, a];
        }
        const shuffled: Record<string, unknown> = {};
        for (const [key, value] of entries) Object.defineProperty(shuffled, key, { value, enumerable: true });
        expect(canonicalJson(shuffled)).toBe(canonicalJson(record));
      }),
    );
  });

  it("has no whitespace outside strings", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const outsideStrings = canonicalJson(value).replace(/"(?:[^"\\]|\\.)*"/g, "");
        expect(outsideStrings).not.toMatch(/\s/);
      }),
    );
  });
});

describe("sha256Hex and hashJson", () => {
  it("matches the published sha256 test vectors", () => {
    expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(sha256Hex(new Uint8Array([0x61, 0x62, 0x63]))).toBe(sha256Hex("abc"));
  });

  it("hashes strings as UTF-8", () => {
    expect(sha256Hex("é")).toBe(sha256Hex(new Uint8Array([0xc3, 0xa9])));
  });

  it("hashJson is the hash of the canonical text, independent of key order", () => {
    expect(hashJson({ b: 1, a: 2 })).toBe(sha256Hex('{"a":2,"b":1}'));
    expect(hashJson({ a: 2, b: 1 })).toBe(hashJson({ b: 1, a: 2 }));
  });
});
