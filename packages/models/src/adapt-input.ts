/**
 * Inputs the way clients send them (issue 16): a phone photo larger than the OCR model takes,
 * a GIF or TIFF scan, a 44.1 kHz stereo recording. Before a job is validated and priced, an
 * input the model cannot take as sent but can after a lossless-in-meaning conversion is
 * converted, and each conversion is said in `adjustments` (the submit answer carries them):
 *
 * - images over 4096 px a side are scaled to fit (aspect kept); over 4 MiB once scaled, they
 *   are re-encoded as JPEG; formats other than PNG, JPEG and WebP (GIF, TIFF, AVIF, HEIF) are
 *   converted to PNG. SVG is refused, not rendered: it can reference files and URLs.
 * - WAV audio at another sample rate is resampled to 16 kHz (a band-limited windowed-sinc
 *   filter, audio/resample.ts); more channels are averaged to mono; 8/24/32-bit
 *   PCM and float64 become PCM16.
 *
 * An input that needs nothing is returned as it came, byte for byte (its hash, and so its
 * receipt and any idempotent replay, stay the client's). What cannot be converted is left for
 * the model's own validation to refuse with its usual message. Every read is bounded before
 * anything is decoded: the base64 text's length, sharp's pixel limit, the WAV's duration.
 */
import sharp from "sharp";
import { resampleAsync } from "./audio/resample.ts";
import { floatToPcm16, wavBytesPcm16 } from "./audio/wav-bytes.ts";
import { checkBase64 } from "./base64.ts";
import { ModelInputError } from "./model-input-error.ts";
import { LIMITS } from "./model-schemas.ts";

export interface AdaptedInput {
  input: unknown;
  /** What was changed, in words for the client; empty when the input was taken as sent. */
  adjustments: string[];
}

/** Limits on what is accepted for conversion: larger than the model's, still bounded. */
export const ADAPT_LIMITS = {
  /** Encoded image bytes accepted for scaling (a 48 MP phone photo is ~12–20 MB). */
  imageMaxBytes: 24 * 1024 * 1024,
  /** Pixels sharp may decode (sharp's own default is 268 MP). */
  imageMaxPixels: 64_000_000,
  /** Encoded WAV bytes accepted for resampling: 10 minutes of 48 kHz stereo float32 is 230 MB. */
  audioMaxBytes: 64 * 1024 * 1024,
  audioMinRate: 8_000,
  audioMaxRate: 192_000,
  audioMaxChannels: 8,
} as const;

const MODEL_FORMATS = new Set(["png", "jpeg", "webp"]);
const CONVERTIBLE_FORMATS = new Set(["gif", "tiff", "avif", "heif"]);

export async function adaptInput(slug: string, input: unknown): Promise<AdaptedInput> {
  if (typeof input !== "object" || input === null) return { input, adjustments: [] };
  if (slug === "ocr-ppocr-v4" && typeof (input as { image?: unknown }).image === "string") {
    const adapted = await adaptImage((input as { image: string }).image);
    return adapted ? { input: { ...input, image: adapted.image }, adjustments: adapted.adjustments } : { input, adjustments: [] };
  }
  if (slug === "vad-silero-v5" && typeof (input as { audio?: unknown }).audio === "string") {
    const adapted = await adaptAudio((input as { audio: string }).audio);
    return adapted ? { input: { ...input, audio: adapted.audio }, adjustments: adapted.adjustments } : { input, adjustments: [] };
  }
  return { input, adjustments: [] };
}

/** A decoded payload, or null when the text is not base64 (the model's validation says so). */
function decode(text: string, what: string, maxBytes: number): Buffer | null {
  let b64: { body: string; bytes: number };
  try {
    b64 = checkBase64(text, what);
  } catch {
    return null;
  }
  if (b64.bytes > maxBytes) throw new ModelInputError(`${what} is too large: at most ${maxBytes} bytes`, true);
  return Buffer.from(b64.body, "base64");
}

async function adaptImage(text: string): Promise<{ image: string; adjustments: string[] } | null> {
  const bytes = decode(text, "image", ADAPT_LIMITS.imageMaxBytes);
  if (!bytes) return null;
  let meta: sharp.Metadata;
  try {
    // The header only (no pixel is decoded), so no pixel limit here: the size is checked below.
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    return null; // not an image sharp knows: the model's check refuses it by name
  }
  const format = meta.format ?? "unknown";
  if (format === "svg") throw new ModelInputError("image is SVG: send PNG, JPEG or WebP (SVG is not rendered)");
  const { width, height } = meta;
  if (width * height > ADAPT_LIMITS.imageMaxPixels) {
    throw new ModelInputError(`image is too large: ${width}×${height} px, at most ${ADAPT_LIMITS.imageMaxPixels} pixels`, true);
  }
  const convert = !MODEL_FORMATS.has(format);
  if (convert && !CONVERTIBLE_FORMATS.has(format)) return null;
  const max = LIMITS.imageMaxSidePx;
  const scale = width > max || height > max;
  if (!convert && !scale && bytes.length <= LIMITS.imageMaxBytes) return null;

  const adjustments: string[] = [];
  // Only the first frame of an animation or a multi-page file is read.
  let pipeline = sharp(bytes, { limitInputPixels: ADAPT_LIMITS.imageMaxPixels, pages: 1 });
  let outW = width;
  let outH = height;
  if (scale) {
    const f = max / Math.max(width, height);
    outW = Math.max(1, Math.round(width * f));
    outH = Math.max(1, Math.round(height * f));
    pipeline = pipeline.resize(outW, outH, { fit: "fill" });
    adjustments.push(`image scaled from ${width}×${height} to ${outW}×${outH} px (at most ${max} px a side)`);
  }
  const target = convert ? "png" : (format as "png" | "jpeg" | "webp");
  let out = await encode(pipeline, target);
  let outFormat: string = target;
  if (!scale && !convert && out.length <= LIMITS.imageMaxBytes) {
    adjustments.push(`image re-compressed as ${target.toUpperCase()} to fit ${LIMITS.imageMaxBytes} bytes`);
  }
  if (out.length > LIMITS.imageMaxBytes) {
    // Still over the model's byte limit: JPEG, lowering quality until it fits.
    for (const quality of [90, 80, 70, 60]) {
      out = await pipeline.clone().flatten({ background: "#ffffff" }).jpeg({ quality }).toBuffer();
      outFormat = "jpeg";
      if (out.length <= LIMITS.imageMaxBytes) break;
    }
    if (out.length > LIMITS.imageMaxBytes) throw new ModelInputError("image is too large even as JPEG: send a smaller one", true);
    adjustments.push(`image re-encoded as JPEG to fit ${LIMITS.imageMaxBytes} bytes`);
  }
  if (convert) adjustments.push(`image converted from ${format.toUpperCase()} to ${outFormat === "jpeg" ? "JPEG" : "PNG"}`);
  return { image: out.toString("base64"), adjustments };
}

function encode(pipeline: sharp.Sharp, format: "png" | "jpeg" | "webp"): Promise<Buffer> {
  const p = pipeline.clone();
  if (format === "jpeg") return p.jpeg({ quality: 92 }).toBuffer();
  if (format === "webp") return p.webp({ quality: 92 }).toBuffer();
  return p.png().toBuffer();
}

interface AnyWav {
  rate: number;
  channels: number;
  /** 1 = integer PCM, 3 = IEEE float. */
  format: 1 | 3;
  bits: number;
  dataOffset: number;
  dataBytes: number;
}

/** A WAV header of any common layout (the model's own parser takes 16 kHz mono PCM16/float32 only). */
function parseAnyWav(buf: Buffer): AnyWav | null {
  if (buf.length < 12 || buf.toString("ascii", 0, 4) !== "RIFF" || buf.toString("ascii", 8, 12) !== "WAVE") return null;
  let off = 12;
  let fmt: Omit<AnyWav, "dataOffset" | "dataBytes"> | undefined;
  for (let i = 0; i < 64 && off + 8 <= buf.length; i++) {
    const id = buf.toString("ascii", off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    if (id === "fmt " && size >= 16 && off + 24 <= buf.length) {
      let format = buf.readUInt16LE(off + 8);
      if (format === 0xfffe && size >= 40 && off + 34 <= buf.length) format = buf.readUInt16LE(off + 32);
      if (format !== 1 && format !== 3) return null;
      fmt = { format, channels: buf.readUInt16LE(off + 10), rate: buf.readUInt32LE(off + 12), bits: buf.readUInt16LE(off + 22) };
    } else if (id === "data") {
      if (!fmt) return null;
      const dataOffset = off + 8;
      const declared = size === 0 || size === 0xffffffff ? Number.POSITIVE_INFINITY : size;
      return { ...fmt, dataOffset, dataBytes: Math.max(0, Math.min(declared, buf.length - dataOffset)) };
    }
    off += 8 + size + (size % 2);
  }
  return null;
}

const SAMPLE_READERS: Record<string, ((b: Buffer, o: number) => number) | undefined> = {
  "1:8": (b, o) => (b.readUInt8(o) - 128) / 128,
  "1:16": (b, o) => b.readInt16LE(o) / 32_768,
  "1:24": (b, o) => b.readIntLE(o, 3) / 8_388_608,
  "1:32": (b, o) => b.readInt32LE(o) / 2_147_483_648,
  "3:32": (b, o) => b.readFloatLE(o),
  "3:64": (b, o) => b.readDoubleLE(o),
};

async function adaptAudio(text: string): Promise<{ audio: string; adjustments: string[] } | null> {
  const bytes = decode(text, "audio", ADAPT_LIMITS.audioMaxBytes);
  if (!bytes) return null;
  const wav = parseAnyWav(bytes);
  if (!wav) return null;
  const { rate, channels, format, bits } = wav;
  const taken = rate === LIMITS.audioSampleRate && channels === 1 && ((format === 1 && bits === 16) || (format === 3 && bits === 32));
  if (taken) return null;
  const read = SAMPLE_READERS[`${format}:${bits}`];
  if (!read) throw new ModelInputError(`WAV sample format ${format === 3 ? "float" : "PCM"} ${bits}-bit is not supported`);
  if (rate < ADAPT_LIMITS.audioMinRate || rate > ADAPT_LIMITS.audioMaxRate) {
    throw new ModelInputError(`WAV sample rate ${rate} Hz is outside ${ADAPT_LIMITS.audioMinRate}–${ADAPT_LIMITS.audioMaxRate} Hz`);
  }
  if (channels < 1 || channels > ADAPT_LIMITS.audioMaxChannels) {
    throw new ModelInputError(`WAV has ${channels} channels: at most ${ADAPT_LIMITS.audioMaxChannels}`);
  }
  const step = (bits / 8) * channels;
  const frames = Math.floor(wav.dataBytes / step);
  const seconds = frames / rate;
  if (seconds > LIMITS.audioMaxSeconds) {
    throw new ModelInputError(`audio is too large: ${seconds.toFixed(1)} s, at most ${LIMITS.audioMaxSeconds} s`, true);
  }
  const mono = new Float32Array(frames);
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += read(bytes, wav.dataOffset + f * step + (c * bits) / 8);
    mono[f] = sum / channels;
  }
  const adjustments: string[] = [];
  if (channels > 1) adjustments.push(`audio mixed down from ${channels} channels to mono`);
  let samples: Float32Array = mono;
  if (rate !== LIMITS.audioSampleRate) {
    samples = await resampleAsync(mono, rate, LIMITS.audioSampleRate);
    adjustments.push(`audio resampled from ${rate} Hz to ${LIMITS.audioSampleRate} Hz`);
  }
  if (!(format === 1 && bits === 16) && !(format === 3 && bits === 32)) {
    adjustments.push(`audio converted from ${format === 3 ? "float" : "PCM"} ${bits}-bit to PCM 16-bit`);
  }
  const out = wavBytesPcm16(floatToPcm16(samples), LIMITS.audioSampleRate);
  return { audio: Buffer.from(out.buffer, out.byteOffset, out.byteLength).toString("base64"), adjustments };
}
