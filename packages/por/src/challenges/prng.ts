import { createHash } from "node:crypto";

// A seeded PRNG, so that a challenge is a pure function of its seed: the platform hands the
// seed to a checker, the checker regenerates exactly the same challenge. sfc32 (Chris
// Doty-Humphrey's Small Fast Counter, 32-bit) passes PractRand to 2^42+ bytes and needs only
// 32-bit integer operations, which JavaScript performs identically on every engine; its 128
// bits of state come from sha256(seed), so similar seeds give unrelated streams.
//
// Everything derived here uses exact arithmetic only (integer ops, and divisions by powers of
// two), never Math.sin/log/exp, whose last bits may differ between engines: a challenge must
// come out bit-identical on the worker, the checker and the platform.

export interface Prng {
  /** Uniform integer in [0, 2^32). */
  nextUint32(): number;
  /** Uniform in [0, 1), a multiple of 2^-32. */
  nextFloat(): number;
  /** Uniform integer in [min, max], both inclusive, without modulo bias. */
  int(min: number, max: number): number;
  /** Uniform in [min, max) rounded to `decimals` places (default 3), so values print exactly. */
  float(min: number, max: number, decimals?: number): number;
  /** True with probability p (p a multiple of 2^-32 is exact). */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** A shuffled copy (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[];
  /** An independent stream for a named sub-task, so adding draws to one part of a generator
   * does not change the others. */
  fork(label: string): Prng;
}

/** Outputs discarded after seeding, as the sfc32 reference does, to mix the state. */
const WARM_UP_ROUNDS = 12;
/** Rejection sampling gives up after this many draws (probability < 2^-64) and takes the
 * modulo, so `int` always terminates. */
const MAX_REJECTIONS = 64;

export function createPrng(seed: string | Uint8Array): Prng {
  const digest = createHash("sha256").update(seed).digest();
  const nextUint32 = sfc32(digest.readUInt32LE(0), digest.readUInt32LE(4), digest.readUInt32LE(8), digest.readUInt32LE(12));
  for (let i = 0; i < WARM_UP_ROUNDS; i++) nextUint32();
  return fromStream(nextUint32, seed);
}

/** The raw sfc32 stream from a given state (a, b, c, counter), without hashing or warm-up:
 * exported so tests can check it against PractRand's reference outputs. */
export function sfc32(a0: number, b0: number, c0: number, d0: number): () => number {
  let a = a0 | 0;
  let b = b0 | 0;
  let c = c0 | 0;
  let d = d0 | 0;
  return (): number => {
    // PractRand's reference: tmp = a + b + counter++; a = b ^ (b >> 9); b = c + (c << 3);
    // c = rotl(c, 21) + tmp.
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (((c << 21) | (c >>> 11)) + t) | 0;
    return t >>> 0;
  };
}

function fromStream(nextUint32: () => number, seed: string | Uint8Array): Prng {
  const nextFloat = () => nextUint32() / 2 ** 32;
  const int = (min: number, max: number): number => {
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max < min)
      throw new RangeError(`int(${min}, ${max}): need integers with min ≤ max`);
    const range = max - min + 1;
    if (range > 2 ** 32) throw new RangeError(`int(${min}, ${max}): range above 2^32`);
    const limit = 2 ** 32 - (2 ** 32 % range);
    let draw = nextUint32();
    for (let i = 0; i < MAX_REJECTIONS && draw >= limit; i++) draw = nextUint32();
    return min + (draw % range);
  };
  const prng: Prng = {
    nextUint32,
    nextFloat,
    int,
    float(min, max, decimals = 3) {
      if (!(Number.isFinite(min) && Number.isFinite(max) && min <= max))
        throw new RangeError(`float(${min}, ${max}): need finite min ≤ max`);
      if (!(Number.isInteger(decimals) && decimals >= 0 && decimals <= 9))
        throw new RangeError(`decimals must be an integer in [0, 9], got ${decimals}`);
      const scale = 10 ** decimals;
      // The epsilon absorbs binary representation error (1.1 × 1000 = 1100.0000000000002).
      const low = Math.ceil(min * scale - 1e-7);
      const high = Math.max(low, Math.ceil(max * scale - 1e-7) - 1);
      return int(low, high) / scale;
    },
    chance(p) {
      if (!(p >= 0 && p <= 1)) throw new RangeError(`chance(${p}): p must be in [0, 1]`);
      return nextFloat() < p;
    },
    pick(items) {
      if (items.length === 0) throw new RangeError("pick from an empty list");
      return items[int(0, items.length - 1)] as (typeof items)[number];
    },
    shuffle(items) {
      const copy = [...items];
      for (let i = copy.length - 1; i > 0; i--) {
        const j = int(0, i);
        [copy[i], copy[j]] = [copy[j] as (typeof copy)[number], copy[i] as (typeof copy)[number]];
      }
      return copy;
    },
    fork(label) {
      const parent = typeof seed === "string" ? Buffer.from(seed, "utf8") : Buffer.from(seed);
      return createPrng(Buffer.concat([parent, Buffer.from(`\u0000fork:${label}`, "utf8")]));
    },
  };
  return prng;
}
