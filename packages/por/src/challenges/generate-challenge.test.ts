import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, hashJson } from "../crypto/canonical-json.ts";
import { CHALLENGE_KINDS, type Challenge, type ChallengeKind, generateChallenge } from "./generate-challenge.ts";
import { MAX_TENSOR_CHALLENGE_ELEMENTS, materializeTensorChallenge } from "./tensor-challenge.ts";

const SEED = "0f".repeat(32);
const seedArb = fc.stringMatching(/^[0-9a-f]{64}$/);
const kindArb = fc.constantFrom(...CHALLENGE_KINDS);

function as<K extends ChallengeKind>(challenge: Challenge, kind: K): Extract<Challenge, { kind: K }> {
  if (challenge.kind !== kind) throw new Error(`expected a ${kind} challenge, got ${challenge.kind}`);
  return challenge as Extract<Challenge, { kind: K }>;
}

describe("generateChallenge", () => {
  it("is pinned: a seed gives these exact challenges (bump CHALLENGE_GENERATOR_VERSION if this changes)", () => {
    const hashes = Object.fromEntries(CHALLENGE_KINDS.map((kind) => [kind, hashJson(generateChallenge({ seed: SEED, kind }))]));
    expect(hashes).toEqual({
      ocr: "ec76529e8aac97f2f74e2208a22ca95c92540f9ea066b5274f11f6810b388e45",
      vad: "e63baf90b2c750d1b9f57b158c07f7e26ed31d87f54d8e86b695f924a359b506",
      embedding: "2f7c5cb5bcaee8966cbf0868ccd145ecc5e5b8ba103f876ba95ae98ef0eefafd",
      tensor: "a50fa859901b93c2a794042784f019cb19f6088c634e274c5a8fbcb2ccd35ee4",
    });
    const data = materializeTensorChallenge(as(generateChallenge({ seed: SEED, kind: "tensor" }), "tensor"));
    expect(createHash("sha256").update(data).digest("hex")).toBe("cd3ad02c7650c170cfc5474eaf63f518fd69e03d2ec5d9af1e5a52efe6210b72");
  });

  it("describes realistic inputs", () => {
    const ocr = as(generateChallenge({ seed: SEED, kind: "ocr" }), "ocr");
    expect(ocr.lines).toEqual(["Qty 24 x 909.20", "Ref LWF-48589", "Qty 63 x 306.83"]);
    const vad = as(generateChallenge({ seed: SEED, kind: "vad" }), "vad");
    expect(vad.expectedSpeech).toEqual([
      { start: 0.813, end: 3.313 },
      { start: 4.665, end: 7.165 },
    ]);
    const embedding = as(generateChallenge({ seed: SEED, kind: "embedding" }), "embedding");
    expect(embedding.texts[0]).toBe("The careful receipt closes the farmer after the server in Riga.");
  });

  it("refuses a short seed and bad tensor shapes", () => {
    expect(() => generateChallenge({ seed: "short", kind: "ocr" })).toThrow(RangeError);
    expect(() => generateChallenge({ seed: SEED, kind: "tensor", tensorDims: [0, 3] })).toThrow(RangeError);
    expect(() => generateChallenge({ seed: SEED, kind: "tensor", tensorDims: [4096, 4096] })).toThrow(/at most/);
    expect(() => generateChallenge({ seed: SEED, kind: "vad", speechClipSec: 0 })).toThrow(RangeError);
    expect(() => generateChallenge({ seed: SEED, kind: "audio" as ChallengeKind })).toThrow(/unknown challenge kind/);
  });

  it("property: pure — the same seed and kind give the same plain-JSON challenge; seeds differ", () => {
    fc.assert(
      fc.property(seedArb, seedArb, kindArb, (a, b, kind) => {
        const first = generateChallenge({ seed: a, kind });
        expect(generateChallenge({ seed: a, kind })).toEqual(first);
        // Plain data: canonical JSON accepts it and round-trips it unchanged.
        expect(JSON.parse(canonicalJson(first))).toEqual(first);
        if (a !== b) expect(hashJson(generateChallenge({ seed: b, kind }))).not.toBe(hashJson(first));
      }),
      { numRuns: 200 },
    );
  });

  it("property: OCR pages fit the model's limits (≤ 4096 px, 3–8 lines of printable ASCII)", () => {
    fc.assert(
      fc.property(seedArb, (seed) => {
        const c = as(generateChallenge({ seed, kind: "ocr" }), "ocr");
        expect(c.lines.length).toBeGreaterThanOrEqual(3);
        expect(c.lines.length).toBeLessThanOrEqual(8);
        for (const line of c.lines) expect(line).toMatch(/^[\x20-\x7e]{4,60}$/);
        expect(c.width).toBeLessThanOrEqual(4096);
        expect(c.height).toBeLessThanOrEqual(4096);
        expect(c.top + c.lineHeight * c.lines.length).toBeLessThanOrEqual(c.height);
      }),
      { numRuns: 300 },
    );
  });

  it("property: VAD timelines keep speech separate and distractors 300 ms away from it", () => {
    fc.assert(
      fc.property(seedArb, fc.integer({ min: 500, max: 10_000 }), (seed, clipMs) => {
        const c = as(generateChallenge({ seed, kind: "vad", speechClipSec: clipMs / 1000 }), "vad");
        expect(c.speech.length).toBe(c.expectedSpeech.length);
        expect(c.speech.length).toBeGreaterThanOrEqual(1);
        c.expectedSpeech.forEach((segment, i) => {
          expect(segment.end - segment.start).toBeCloseTo(clipMs / 1000, 9);
          const next = c.expectedSpeech[i + 1];
          if (next) expect(next.start - segment.end).toBeGreaterThanOrEqual(0.8 - 1e-9);
        });
        expect(c.durationSec).toBeGreaterThan(c.expectedSpeech.at(-1)?.end ?? 0);
        for (const d of c.distractors) {
          for (const s of c.expectedSpeech) {
            const gapAfter = d.startSec - s.end;
            const gapBefore = s.start - (d.startSec + d.durationSec);
            expect(gapAfter >= 0.3 - 1e-9 || gapBefore >= 0.3 - 1e-9).toBe(true);
          }
        }
        // Every time is whole milliseconds.
        for (const t of [c.durationSec, ...c.speech.map((s) => s.startSec), ...c.distractors.flatMap((d) => [d.startSec, d.durationSec])]) {
          expect(Math.round(t * 1000) / 1000).toBe(t);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("property: encoder batches fit the model's limits and their similar pairs are near-copies", () => {
    fc.assert(
      fc.property(seedArb, (seed) => {
        const c = as(generateChallenge({ seed, kind: "embedding" }), "embedding");
        expect(c.texts.length).toBeLessThanOrEqual(32);
        for (const text of c.texts) expect(text.length).toBeLessThanOrEqual(2_000);
        for (const [a, b] of c.similarPairs) {
          const original = c.texts[a] ?? "";
          const copy = c.texts[b] ?? "";
          expect(copy.toLowerCase()).toBe(original.slice(0, -1).toLowerCase());
        }
      }),
      { numRuns: 300 },
    );
  });

  it("property: tensor data is reproducible, in range and of the requested shape", () => {
    fc.assert(
      fc.property(seedArb, fc.array(fc.integer({ min: 1, max: 16 }), { minLength: 1, maxLength: 4 }), (seed, dims) => {
        const c = as(generateChallenge({ seed, kind: "tensor", tensorDims: dims }), "tensor");
        const data = materializeTensorChallenge(c);
        expect(data.length).toBe(dims.reduce((p, d) => p * d, 1));
        expect(data.length).toBeLessThanOrEqual(MAX_TENSOR_CHALLENGE_ELEMENTS);
        expect(materializeTensorChallenge({ ...c })).toEqual(data);
        for (const v of data) expect(v >= c.min && v <= c.max).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});
