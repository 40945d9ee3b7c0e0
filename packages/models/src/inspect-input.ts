import sharp from "sharp";
import { encoderSchemaFor, type InputFacts, LIMITS, ModelInputError, ZOcrInput, ZVadInput } from "./catalog.ts";
import { z } from "zod";

export { ModelInputError };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes standard base64 after checking its alphabet (Buffer.from silently skips junk). */
export function decodeBase64(text: string, what: string): Buffer {
  const clean = text.startsWith("data:") ? text.slice(text.indexOf(",") + 1) : text;
  if (clean.length % 4 !== 0 || !BASE64.test(clean)) throw new ModelInputError(`${what} is not valid base64`);
  return Buffer.from(clean, "base64");
}

function parse<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const r = schema.safeParse(input);
  if (!r.success) {
    const tooLarge = r.error.issues.some((i) => i.code === "too_big");
    throw new ModelInputError(z.prettifyError(r.error).replace(/\n/g, "; "), tooLarge);
  }
  return r.data;
}

export interface WavInfo {
  format: "pcm16" | "float32";
  sampleRate: number;
  channels: number;
  dataOffset: number;
  dataBytes: number;
  samples: number;
}

/** Reads a WAV header (RIFF chunks) without touching the samples. */
export function parseWavHeader(buf: Buffer): WavInfo {
  if (buf.length < 44 || buf.toString("ascii", 0, 4) !== "RIFF" || buf.toString("ascii", 8, 12) !== "WAVE") {
    throw new ModelInputError("audio is not a WAV file (RIFF/WAVE header missing)");
  }
  let off = 12;
  let fmt: { format: number; channels: number; rate: number; bits: number } | undefined;
  // A WAV has a handful of chunks; the bound stops a crafted file from looping long.
  for (let i = 0; i < 64 && off + 8 <= buf.length; i++) {
    const id = buf.toString("ascii", off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    if (id === "fmt ") {
      if (size < 16 || off + 24 > buf.length) throw new ModelInputError("WAV fmt chunk is truncated");
      fmt = { format: buf.readUInt16LE(off + 8), channels: buf.readUInt16LE(off + 10), rate: buf.readUInt32LE(off + 12), bits: buf.readUInt16LE(off + 22) };
    } else if (id === "data") {
      if (!fmt) throw new ModelInputError("WAV data chunk before its fmt chunk");
      const format = fmt.format === 1 && fmt.bits === 16 ? "pcm16" : fmt.format === 3 && fmt.bits === 32 ? "float32" : null;
      if (!format) throw new ModelInputError(`WAV must be PCM16 or float32 (got format ${fmt.format}, ${fmt.bits} bits)`);
      if (fmt.channels !== 1) throw new ModelInputError(`WAV must be mono (got ${fmt.channels} channels)`);
      if (fmt.rate !== 16_000) throw new ModelInputError(`WAV must be sampled at 16000 Hz (got ${fmt.rate} Hz)`);
      const dataBytes = Math.min(size, buf.length - off - 8);
      const bytesPer = format === "pcm16" ? 2 : 4;
      return { format, sampleRate: fmt.rate, channels: 1, dataOffset: off + 8, dataBytes, samples: Math.floor(dataBytes / bytesPer) };
    }
    off += 8 + size + (size % 2);
  }
  throw new ModelInputError("WAV has no data chunk");
}

/**
 * Validates a job's input against its model and returns the facts its price depends on.
 * Size limits are checked on the base64 text before decoding, and images are measured
 * from their headers (sharp's metadata does not decode pixels).
 */
export async function inspectInput(slug: string, input: unknown): Promise<InputFacts> {
  switch (slug) {
    case "ocr-ppocr-v4": {
      const { image } = parse(ZOcrInput, input);
      const bytes = decodeBase64(image, "image");
      if (bytes.length > LIMITS.imageBytes) throw new ModelInputError(`image larger than ${LIMITS.imageBytes} bytes`, true);
      let meta: sharp.Metadata;
      try {
        meta = await sharp(bytes, { limitInputPixels: LIMITS.imageMaxSide * LIMITS.imageMaxSide }).metadata();
      } catch {
        throw new ModelInputError("image could not be decoded: send PNG, JPEG or WebP");
      }
      if (!meta.format || !["png", "jpeg", "webp"].includes(meta.format)) throw new ModelInputError(`image format ${meta.format ?? "unknown"} is not PNG, JPEG or WebP`);
      const width = meta.width ?? 0;
      const height = meta.height ?? 0;
      if (width > LIMITS.imageMaxSide || height > LIMITS.imageMaxSide) {
        throw new ModelInputError(`image is ${width}×${height}: at most ${LIMITS.imageMaxSide} px per side`, true);
      }
      if (width < LIMITS.imageMinSide || height < LIMITS.imageMinSide) throw new ModelInputError(`image is ${width}×${height}: at least ${LIMITS.imageMinSide} px per side`);
      return { kind: "ocr", width, height };
    }
    case "vad-silero-v5": {
      const { audio } = parse(ZVadInput, input);
      const wav = parseWavHeader(decodeBase64(audio, "audio"));
      const seconds = wav.samples / wav.sampleRate;
      if (seconds > LIMITS.audioMaxSeconds) throw new ModelInputError(`audio is ${seconds.toFixed(1)} s: at most ${LIMITS.audioMaxSeconds} s`, true);
      if (seconds < LIMITS.audioMinSeconds) throw new ModelInputError("audio is shorter than one 32 ms frame");
      return { kind: "vad", seconds };
    }
    case "encoder-synthetic-minilm": {
      const parsed = parse(encoderSchemaFor(input), input);
      const texts = "text" in parsed ? [parsed.text] : parsed.texts;
      return { kind: "embedding", items: texts.length, chars: texts.reduce((n, t) => n + t.length, 0) };
    }
    default:
      throw new ModelInputError(`no built-in model ${slug}`);
  }
}
