import type { Prng } from "./prng.ts";
import { sentence } from "./text-templates.ts";

// An encoder challenge: a batch of ordinary sentences (the encoder's input is { texts }).
// Near-duplicates are included on purpose: a real encoder maps a sentence and its variant
// close together, which a checker can assert on top of re-execution.

export interface EmbeddingChallenge {
  kind: "embedding";
  texts: string[];
  /** Index pairs of (sentence, lightly edited copy) whose embeddings should be close. */
  similarPairs: [number, number][];
}

export function generateEmbeddingChallenge(prng: Prng): EmbeddingChallenge {
  const texts = Array.from({ length: prng.int(4, 12) }, () => sentence(prng));
  const similarPairs: [number, number][] = [];
  const variants = prng.int(1, 2);
  for (let i = 0; i < variants; i++) {
    const source = prng.int(0, texts.length - 1);
    const original = texts[source] as string;
    // Drop the final period and lower-case the first word: same meaning, different tokens.
    texts.push(original.charAt(0).toLowerCase() + original.slice(1, -1));
    similarPairs.push([source, texts.length - 1]);
  }
  return { kind: "embedding", texts, similarPairs };
}
