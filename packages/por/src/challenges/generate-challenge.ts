import { type EmbeddingChallenge, generateEmbeddingChallenge } from "./embedding-challenge.ts";
import { type OcrChallenge, generateOcrChallenge } from "./ocr-challenge.ts";
import { createPrng } from "./prng.ts";
import { type TensorChallenge, generateTensorChallenge } from "./tensor-challenge.ts";
import { type VadChallenge, generateVadChallenge } from "./vad-challenge.ts";

// One entry point: (seed, kind) → a plain description of a realistic input. Pure: the same
// seed and generator version give the same challenge everywhere, so a checker rebuilds what
// the platform issued from the seed alone. Bump the version with any change to the
// generators, the PRNG or the word lists, and keep the old one while issued challenges live.

export const CHALLENGE_GENERATOR_VERSION = 1;

export type ChallengeBody = OcrChallenge | VadChallenge | EmbeddingChallenge | TensorChallenge;
export type ChallengeKind = ChallengeBody["kind"];
export type Challenge = ChallengeBody & { version: typeof CHALLENGE_GENERATOR_VERSION; seed: string };

export const CHALLENGE_KINDS: readonly ChallengeKind[] = ["ocr", "vad", "embedding", "tensor"];

export interface GenerateChallengeOptions {
  /** A challenge seed (generateChallengeSeed), or any string of ≥ 16 characters. */
  seed: string;
  kind: ChallengeKind;
  /** Input shape for "tensor" challenges (the model's signature). */
  tensorDims?: readonly number[];
  /** Length of the speech clip the renderer places, for "vad" challenges. */
  speechClipSec?: number;
}

export function generateChallenge(options: GenerateChallengeOptions): Challenge {
  const { seed, kind } = options;
  if (typeof seed !== "string" || seed.length < 16 || seed.length > 256) throw new RangeError("challenge seed must be 16..256 characters");
  // One stream per kind, so the same seed used for two kinds gives unrelated inputs.
  const prng = createPrng(seed).fork(kind);
  const base = { version: CHALLENGE_GENERATOR_VERSION, seed } as const;
  switch (kind) {
    case "ocr":
      return { ...generateOcrChallenge(prng), ...base };
    case "vad":
      return { ...generateVadChallenge(prng, { speechClipSec: options.speechClipSec }), ...base };
    case "embedding":
      return { ...generateEmbeddingChallenge(prng), ...base };
    case "tensor":
      return { ...generateTensorChallenge(prng, { dims: options.tensorDims }), ...base };
    default:
      throw new RangeError(`unknown challenge kind ${String(kind satisfies never)}`);
  }
}
