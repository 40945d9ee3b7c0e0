import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createPrng, sfc32 } from "./prng.ts";

describe("sfc32", () => {
  it("matches PractRand's reference implementation", () => {
    // C: tmp = a + b + counter++; a = b ^ (b >> 9); b = c + (c << 3); c = rotl(c, 21) + tmp;
    // from (0x9E3779B9, 0x243F6A88, 0xB7E15162, 1), compiled with gcc.
    const next = sfc32(0x9e3779b9, 0x243f6a88, 0xb7e15162, 1);
    expect(Array.from({ length: 5 }, next)).toEqual([3262571586, 2602127793, 3691875691, 1400833174, 2246018411]);
  });
});

describe("createPrng", () => {
  it("is pinned: these outputs must never change (checkers rebuild challenges from seeds)", () => {
    const prng = createPrng("proofgrid");
    expect(Array.from({ length: 6 }, () => prng.nextUint32())).toEqual([
      2153334031, 2461829374, 2962649221, 2329124787, 3696867513, 962605151,
    ]);
  });

  it("gives the same stream for the same seed, as a string or as bytes", () => {
    const a = createPrng("seed-a");
    const b = createPrng(new TextEncoder().encode("seed-a"));
    for (let i = 0; i < 100; i++) expect(a.nextUint32()).toBe(b.nextUint32());
    expect(createPrng("seed-a").nextUint32()).not.toBe(createPrng("seed-b").nextUint32());
  });

  it("forks streams that depend on the label and the seed, not on draws made so far", () => {
    const parent = createPrng("seed");
    const early = parent.fork("ocr").nextUint32();
    parent.nextUint32();
    expect(parent.fork("ocr").nextUint32()).toBe(early);
    expect(parent.fork("vad").nextUint32()).not.toBe(early);
    expect(createPrng("other").fork("ocr").nextUint32()).not.toBe(early);
  });

  it("draws integers uniformly (χ² over 10 bins, 100 000 draws)", () => {
    const prng = createPrng("uniformity");
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) {
      const k = prng.int(0, 9);
      counts[k] = (counts[k] ?? 0) + 1;
    }
    const chiSquare = counts.reduce((sum, n) => sum + (n - 10_000) ** 2 / 10_000, 0);
    // 9 degrees of freedom: P(χ² > 27.9) = 0.001.
    expect(chiSquare).toBeLessThan(27.9);
  });

  it("refuses bad ranges", () => {
    const prng = createPrng("x");
    expect(() => prng.int(2, 1)).toThrow(RangeError);
    expect(() => prng.int(0, 2 ** 33)).toThrow(RangeError);
    expect(() => prng.int(0.5, 2)).toThrow(RangeError);
    expect(() => prng.pick([])).toThrow(RangeError);
    expect(() => prng.chance(2)).toThrow(RangeError);
    expect(() => prng.float(1, 0)).toThrow(RangeError);
  });

  it("property: int, float and chance stay in range; shuffle is a permutation", () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.integer({ min: -1e9, max: 1e9 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.array(fc.integer(), { maxLength: 30 }),
        (seed, min, span, items) => {
          const prng = createPrng(seed);
          const k = prng.int(min, min + span);
          expect(Number.isInteger(k) && k >= min && k <= min + span).toBe(true);
          const x = prng.float(-2.5, 7.25, 2);
          expect(x >= -2.5 && x < 7.25).toBe(true);
          expect(Math.round(x * 100) / 100).toBe(x);
          const u = prng.nextFloat();
          expect(u >= 0 && u < 1).toBe(true);
          expect(prng.chance(0)).toBe(false);
          expect(prng.chance(1)).toBe(true);
          expect([...prng.shuffle(items)].sort((a, b) => a - b)).toEqual([...items].sort((a, b) => a - b));
        },
      ),
    );
  });
});
