/**
 * Job inputs and outputs of the built-in models, as zod schemas (pure: no onnxruntime,
 * no sharp). The web app validates submissions with them; the pipelines return exactly
 * the output types.
 */
import type { OutputKind } from "@proofgrid/por";
import { z } from "zod";
import { base64Length } from "./base64.ts";

export const MODEL_SLUGS = ["ocr-ppocr-v4", "vad-silero-v5", "encoder-synthetic-minilm"] as const;
export type ModelSlug = (typeof MODEL_SLUGS)[number];
/** A built-in model's kind is the comparison por makes of its outputs: declared once, in por. */
export type ModelKind = OutputKind;

export function isModelSlug(slug: string): slug is ModelSlug {
  return (MODEL_SLUGS as readonly string[]).includes(slug);
}

/** Every input has a bound, checked before anything is decoded or allocated. */
export const LIMITS = {
  /** Decoded image size (4 MiB). */
  imageMaxBytes: 4 * 1024 * 1024,
  imageMaxSidePx: 4096,
  /** Below 8 px there is no text line to find; the detector's input is at least 32 px anyway. */
  imageMinSidePx: 8,
  /** OCR reads at most this many lines (in reading order); the rest of a page is ignored. */
  ocrMaxLines: 300,
  audioSampleRate: 16_000,
  audioMaxSeconds: 600,
  /** One Silero window: 512 samples, 32 ms. */
  audioMinSeconds: 0.032,
  textMaxChars: 2_000,
  textsMaxItems: 32,
  /** [CLS] + 126 word pieces + [SEP]; longer texts are truncated, as sentence-transformers does. */
  encoderMaxTokens: 128,
  /** The longest OCR line a result may hold: a 4096 px line of 4 px glyphs, with room to spare. */
  ocrMaxLineChars: 2_000,
} as const;

/** 32 ms windows in the longest audio accepted. */
const VAD_MAX_FRAMES = Math.ceil(LIMITS.audioMaxSeconds / LIMITS.audioMinSeconds);

/** The largest WAV accepted: 10 minutes of float32 samples plus room for header chunks. */
export const AUDIO_MAX_BYTES = LIMITS.audioMaxSeconds * LIMITS.audioSampleRate * 4 + 4_096;

// Refusals for size say "too large" / "at most": the web app maps those to HTTP 413.
const base64Field = (maxBytes: number, what: string) =>
  z
    .string()
    .min(1, `${what} is empty`)
    // A data: URL prefix is accepted; 100 characters is room for the longest media type.
    .max(base64Length(maxBytes) + 100, `${what} is too large: at most ${maxBytes} bytes decoded`);

export const ZOcrInput = z.strictObject({
  image: base64Field(LIMITS.imageMaxBytes, "image").describe(
    `base64 PNG, JPEG or WebP; at most ${LIMITS.imageMaxBytes} bytes decoded and ${LIMITS.imageMaxSidePx} px per side`,
  ),
});
export const ZVadInput = z.strictObject({
  audio: base64Field(AUDIO_MAX_BYTES, "audio").describe(
    `base64 WAV, ${LIMITS.audioSampleRate} Hz mono, PCM16 or float32; at most ${LIMITS.audioMaxSeconds} s`,
  ),
});
const encoderText = z
  .string()
  .min(1, "text is empty")
  .max(LIMITS.textMaxChars, `text is too large: at most ${LIMITS.textMaxChars} characters`);
export const ZEncoderTextInput = z.strictObject({ text: encoderText });
export const ZEncoderTextsInput = z.strictObject({
  texts: z.array(encoderText).min(1, "texts is empty").max(LIMITS.textsMaxItems, `too many texts: at most ${LIMITS.textsMaxItems} per job`),
});
export const ZEncoderInput = z.union([ZEncoderTextInput, ZEncoderTextsInput]);

/** The branch to validate against, chosen by key, so an error names the real problem. */
export function encoderInputSchemaFor(input: unknown): typeof ZEncoderTextInput | typeof ZEncoderTextsInput {
  return typeof input === "object" && input !== null && "texts" in input ? ZEncoderTextsInput : ZEncoderTextInput;
}

const point = z.tuple([z.number(), z.number()]);
export const ZOcrLine = z.strictObject({
  text: z.string().max(LIMITS.ocrMaxLineChars),
  /** Mean of the per-character maximum probabilities (CTC), rounded to 4 decimals. */
  confidence: z.number().min(0).max(1),
  box: z.array(point).length(4).describe("corners in original image pixels: top-left, top-right, bottom-right, bottom-left"),
});
export const ZOcrOutput = z.strictObject({
  lines: z.array(ZOcrLine).max(LIMITS.ocrMaxLines).describe("top to bottom, then left to right"),
  width: z.number().int().min(1).max(LIMITS.imageMaxSidePx).describe("image width, px"),
  height: z.number().int().min(1).max(LIMITS.imageMaxSidePx).describe("image height, px"),
});
export const ZVadOutput = z.strictObject({
  segments: z
    .array(z.strictObject({ start: z.number().min(0), end: z.number().min(0) }))
    .max(VAD_MAX_FRAMES)
    .describe("speech, in seconds from the start"),
  durationSec: z
    .number()
    .min(0)
    .max(LIMITS.audioMaxSeconds + 1),
  frames: z.number().int().min(0).max(VAD_MAX_FRAMES).describe("32 ms windows evaluated"),
});
export const ZEncoderOutput = z.strictObject({
  dim: z.literal(384),
  vectors: z
    .array(z.array(z.number()).length(384))
    .min(1)
    .max(LIMITS.textsMaxItems)
    .describe("one mean-pooled vector per text, in input order"),
});

export type OcrInput = z.infer<typeof ZOcrInput>;
export type OcrLine = z.infer<typeof ZOcrLine>;
export type OcrOutput = z.infer<typeof ZOcrOutput>;
export type VadInput = z.infer<typeof ZVadInput>;
export type VadOutput = z.infer<typeof ZVadOutput>;
export type EncoderInput = z.infer<typeof ZEncoderInput>;
export type EncoderOutput = z.infer<typeof ZEncoderOutput>;

export interface ModelIo {
  "ocr-ppocr-v4": { input: OcrInput; output: OcrOutput };
  "vad-silero-v5": { input: VadInput; output: VadOutput };
  "encoder-synthetic-minilm": { input: EncoderInput; output: EncoderOutput };
}
export type ModelInput<S extends ModelSlug> = ModelIo[S]["input"];
export type ModelOutput<S extends ModelSlug> = ModelIo[S]["output"];

export const INPUT_SCHEMAS = { "ocr-ppocr-v4": ZOcrInput, "vad-silero-v5": ZVadInput, "encoder-synthetic-minilm": ZEncoderInput } as const;
export const OUTPUT_SCHEMAS = {
  "ocr-ppocr-v4": ZOcrOutput,
  "vad-silero-v5": ZVadOutput,
  "encoder-synthetic-minilm": ZEncoderOutput,
} as const;
