import { describe, expect, it } from "vitest";
import { generateChallengeSeed, isChallengeSeed } from "./challenge-seed.ts";

const secret = "s".repeat(32);
const base = { secret, nodeId: "00000000-0000-4000-8000-000000000001", epoch: 1_000, sequence: 0 };

describe("generateChallengeSeed", () => {
  it("is deterministic, 64 hex digits, and changes with every input", () => {
    const seed = generateChallengeSeed(base);
    expect(isChallengeSeed(seed)).toBe(true);
    expect(generateChallengeSeed({ ...base })).toBe(seed);
    expect(generateChallengeSeed({ ...base, secret: Buffer.from(secret) })).toBe(seed);
    const variants = [
      generateChallengeSeed({ ...base, secret: "t".repeat(32) }),
      generateChallengeSeed({ ...base, nodeId: "00000000-0000-4000-8000-000000000002" }),
      generateChallengeSeed({ ...base, epoch: 1_001 }),
      generateChallengeSeed({ ...base, sequence: 1 }),
    ];
    expect(new Set([seed, ...variants]).size).toBe(5);
  });

  it("keeps fields apart (no ambiguity between epoch and sequence digits)", () => {
    expect(generateChallengeSeed({ ...base, epoch: 1, sequence: 23 })).not.toBe(generateChallengeSeed({ ...base, epoch: 12, sequence: 3 }));
  });

  it("refuses a short secret and malformed fields", () => {
    expect(() => generateChallengeSeed({ ...base, secret: "short" })).toThrow(/at least 32 bytes/);
    expect(() => generateChallengeSeed({ ...base, nodeId: "a\nb" })).toThrow(RangeError);
    expect(() => generateChallengeSeed({ ...base, epoch: -1 })).toThrow(RangeError);
    expect(() => generateChallengeSeed({ ...base, sequence: 0.5 })).toThrow(RangeError);
    expect(isChallengeSeed("ABC")).toBe(false);
  });
});
