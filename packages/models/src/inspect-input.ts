/**
 * Validates a job's input against its model and measures the facts its price depends on,
 * without decoding pixels or samples: sizes are checked on the base64 text first, images
 * are measured from their headers (sharp's metadata() reads no pixels), and a WAV header
 * is read from a decoded prefix of at most 256 KiB.
 */
import sharp from "sharp";
import type { z } from "zod";
import { parseWavHeader, type WavInfo } from "./audio/wav.ts";
import { checkBase64, decodeBase64Prefix } from "./base64.ts";
import { encodeText } from "./encoder/tokenizer.ts";
import type { InputFacts } from "./estimate-cost.ts";
import { ModelInputError } from "./model-input-error.ts";
import { encoderInputSchemaFor, LIMITS, ZOcrInput, ZVadInput } from "./model-schemas.ts";

export { ModelInputError };

/** WAV headers with LIST/INFO chunks are a few hundred bytes; 256 KiB leaves room for odd writers. */
const WAV_HEADER_SEARCH_BYTES = 256 * 1024;
const IMAGE_FORMATS = new Set(["png", "jpeg", "webp"]);

/** zod's verdict as a ModelInputError; a "too_big" issue marks it as a size refusal (413). */
export function parseModelInput<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const message = r.error.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ");
  throw new ModelInputError(
    message,
    r.error.issues.some((i) => i.code === "too_big"),
  );
}

export interface CheckedImage {
  /** The decoded file (at most 4 MiB). */
  bytes: Buffer;
  width: number;
  height: number;
}

export async function checkImageInput(input: unknown): Promise<CheckedImage> {
  const { image } = parseModelInput(ZOcrInput, input);
  const b64 = checkBase64(image, "image");
  if (b64.bytes > LIMITS.imageMaxBytes)
    throw new ModelInputError(`image is too large: at most ${LIMITS.imageMaxBytes} bytes decoded`, true);
  const bytes = Buffer.from(b64.body, "base64");
  let meta: sharp.Metadata;
  try {
    meta = await sharp(bytes).metadata();
  } catch {
    throw new ModelInputError("image could not be decoded: send PNG, JPEG or WebP");
  }
  if (!meta.format || !IMAGE_FORMATS.has(meta.format))
    throw new ModelInputError(`image format ${meta.format ?? "unknown"} is not PNG, JPEG or WebP`);
  // EXIF-rotated JPEGs are processed as stored (sharp does not auto-orient raw pipelines).
  const { width, height } = meta;
  if (width > LIMITS.imageMaxSidePx || height > LIMITS.imageMaxSidePx) {
    throw new ModelInputError(`image is too large: ${width}×${height} px, at most ${LIMITS.imageMaxSidePx} px per side`, true);
  }
  if (width < LIMITS.imageMinSidePx || height < LIMITS.imageMinSidePx) {
    throw new ModelInputError(`image is ${width}×${height} px: at least ${LIMITS.imageMinSidePx} px per side`);
  }
  return { bytes, width, height };
}

export interface CheckedAudio {
  /** The base64 payload, still encoded: decoding it is the pipeline's business. */
  body: string;
  wav: WavInfo;
  seconds: number;
}

export function checkAudioInput(input: unknown): CheckedAudio {
  const { audio } = parseModelInput(ZVadInput, input);
  const b64 = checkBase64(audio, "audio");
  const wav = parseWavHeader(decodeBase64Prefix(b64.body, WAV_HEADER_SEARCH_BYTES), b64.bytes);
  const seconds = wav.samples / wav.sampleRate;
  if (seconds > LIMITS.audioMaxSeconds) {
    throw new ModelInputError(`audio is too large: ${seconds.toFixed(1)} s, at most ${LIMITS.audioMaxSeconds} s`, true);
  }
  if (seconds < LIMITS.audioMinSeconds) throw new ModelInputError(`audio is ${seconds.toFixed(3)} s: at least one 32 ms window`);
  return { body: b64.body, wav, seconds };
}

export function checkEncoderInput(input: unknown): { texts: string[] } {
  const parsed = parseModelInput(encoderInputSchemaFor(input), input);
  return { texts: "text" in parsed ? [parsed.text] : parsed.texts };
}

/** Throws ModelInputError (with `tooLarge` set for size refusals) on malformed or oversized input. */
export async function inspectInput(slug: string, input: unknown): Promise<InputFacts> {
  switch (slug) {
    case "ocr-ppocr-v4": {
      const { width, height } = await checkImageInput(input);
      return { kind: "ocr", width, height };
    }
    case "vad-silero-v5":
      return { kind: "vad", seconds: checkAudioInput(input).seconds };
    case "encoder-synthetic-minilm": {
      const { texts } = checkEncoderInput(input);
      // Linear and bounded: ~10 ms for 32 × 2,000 characters of prose, ~50 ms for 32 adversarial texts.
      const tokens = texts.reduce((n, t) => n + encodeText(t, LIMITS.encoderMaxTokens).length, 0);
      return { kind: "embedding", items: texts.length, chars: texts.reduce((n, t) => n + t.length, 0), tokens };
    }
    default:
      throw new ModelInputError(`no built-in model ${slug}`);
  }
}
