/**
 * Capability challenges: inputs of exactly the benchmark's shape (apps/worker's `bench`: a
 * 640×160 page of two lines at 40 px, 4 s of voiced audio, one sentence), with content drawn
 * from a seed so a worker cannot answer from a cache. Timing a worker on these under the
 * platform's clock measures what its claimed benchmark score measured; realistic challenges
 * of other sizes would mix the cost model's per-input error into the measurement (measured:
 * ±30 % per job on OCR pages of varying text density).
 */
import { createPrng, documentLine, sentence } from "@proofgrid/por";
import sharp from "sharp";
import { encodeWavPcm16 } from "./wav-encode.ts";
import type { ModelSlug } from "./model-schemas.ts";

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function capabilityInput(slug: ModelSlug, seed: string): Promise<unknown> {
  const prng = createPrng(`capability-v1\n${seed}`);
  switch (slug) {
    case "ocr-ppocr-v4": {
      // The benchmark's lines are 19 and 23 characters, the first in capitals: the recogniser's
      // time grows with the text, so the challenge keeps the lengths and changes the words.
      const lines = [exactly(19, () => documentLine(prng)).toUpperCase(), exactly(23, () => documentLine(prng))];
      const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="160"><rect width="100%" height="100%" fill="white"/>${lines
        .map(
          (l, i) =>
            `<text x="20" y="${60 + i * 65}" font-family="DejaVu Sans, sans-serif" font-size="40" fill="black">${escapeXml(l)}</text>`,
        )
        .join("")}</svg>`;
      return { image: (await sharp(Buffer.from(svg)).png().toBuffer()).toString("base64") };
    }
    case "vad-silero-v5": {
      const rate = 16_000;
      const base = prng.float(100, 220, 1);
      const modulation = prng.float(2, 4, 2);
      const samples = new Int16Array(4 * rate);
      for (let i = 0; i < samples.length; i++) {
        const t = i / rate;
        const envelope = 0.5 + 0.5 * Math.sin(2 * Math.PI * modulation * t);
        const v =
          envelope *
          (0.4 * Math.sin(2 * Math.PI * base * t) +
            0.2 * Math.sin(2 * Math.PI * 2 * base * t) +
            0.1 * Math.sin(2 * Math.PI * 3 * base * t));
        samples[i] = Math.round(v * 20_000);
      }
      return { audio: encodeWavPcm16(samples, rate).toString("base64") };
    }
    case "encoder-synthetic-minilm":
      // The benchmark's sentence is 72 characters; tokens, and so time, follow the length.
      return { text: exactly(72, () => sentence(prng)) };
  }
}

/** Text of exactly `length` characters: generated pieces joined by spaces, cut to length
 * (trailing space replaced by a letter so the cut never leaves blank space). */
function exactly(length: number, next: () => string): string {
  let text = next();
  while (text.length < length) text = `${text} ${next()}`;
  const cut = text.slice(0, length);
  return cut.endsWith(" ") ? `${cut.slice(0, -1)}s` : cut;
}
