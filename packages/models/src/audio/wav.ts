import { ModelInputError } from "../model-input-error.ts";
import { wavBytesPcm16 } from "./wav-bytes.ts";

export const WAV_SAMPLE_RATE = 16_000;

export interface WavInfo {
  format: "pcm16" | "float32";
  sampleRate: number;
  channels: number;
  /** Byte offset of the first sample in the file. */
  dataOffset: number;
  dataBytes: number;
  samples: number;
}

/** A real WAV has 3–6 chunks before its data; the bound stops a crafted file from looping. */
const MAX_CHUNKS = 64;

/**
 * Reads a RIFF/WAVE header from the file's first bytes without touching the samples.
 * `totalBytes` is the whole file's size (known from the base64 length before decoding),
 * so the sample count comes out right even when `head` is only a prefix. Only the format
 * the model takes is accepted: 16 kHz mono, PCM16 or IEEE float32.
 */
export function parseWavHeader(head: Uint8Array, totalBytes = head.length): WavInfo {
  const buf = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (buf.length < 12 || buf.toString("ascii", 0, 4) !== "RIFF" || buf.toString("ascii", 8, 12) !== "WAVE") {
    throw new ModelInputError("audio is not a WAV file (RIFF/WAVE header missing)");
  }
  let off = 12;
  let fmt: { format: number; channels: number; rate: number; bits: number } | undefined;
  for (let i = 0; i < MAX_CHUNKS && off + 8 <= buf.length; i++) {
    const id = buf.toString("ascii", off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    if (id === "fmt ") {
      if (size < 16 || off + 24 > buf.length) throw new ModelInputError("WAV fmt chunk is truncated");
      let format = buf.readUInt16LE(off + 8);
      // WAVE_FORMAT_EXTENSIBLE (0xFFFE) carries the real format in its sub-format GUID.
      if (format === 0xfffe && size >= 40 && off + 34 <= buf.length) format = buf.readUInt16LE(off + 32);
      fmt = { format, channels: buf.readUInt16LE(off + 10), rate: buf.readUInt32LE(off + 12), bits: buf.readUInt16LE(off + 22) };
    } else if (id === "data") {
      if (!fmt) throw new ModelInputError("WAV data chunk comes before its fmt chunk");
      const format = fmt.format === 1 && fmt.bits === 16 ? "pcm16" : fmt.format === 3 && fmt.bits === 32 ? "float32" : null;
      if (!format) throw new ModelInputError(`WAV must be PCM16 or float32 (got format ${fmt.format}, ${fmt.bits} bits)`);
      if (fmt.channels !== 1) throw new ModelInputError(`WAV must be mono (got ${fmt.channels} channels)`);
      if (fmt.rate !== WAV_SAMPLE_RATE) throw new ModelInputError(`WAV must be sampled at ${WAV_SAMPLE_RATE} Hz (got ${fmt.rate} Hz)`);
      const dataOffset = off + 8;
      // Streaming writers leave the size at 0 or 0xFFFFFFFF: the data then runs to the end.
      const declared = size === 0 || size === 0xffffffff ? Number.POSITIVE_INFINITY : size;
      const dataBytes = Math.max(0, Math.min(declared, totalBytes - dataOffset));
      const bytesPerSample = format === "pcm16" ? 2 : 4;
      return { format, sampleRate: fmt.rate, channels: 1, dataOffset, dataBytes, samples: Math.floor(dataBytes / bytesPerSample) };
    }
    off += 8 + size + (size % 2);
  }
  throw new ModelInputError("WAV has no data chunk in its first chunks");
}

/** The samples as float32 in [-1, 1] (PCM16 scaled by 1/32768, as Silero's loaders do). */
export function readWavSamples(file: Uint8Array, info: WavInfo): Float32Array {
  const view = new DataView(file.buffer, file.byteOffset + info.dataOffset, info.samples * (info.format === "pcm16" ? 2 : 4));
  const out = new Float32Array(info.samples);
  if (info.format === "pcm16") for (let i = 0; i < info.samples; i++) out[i] = view.getInt16(i * 2, true) / 32_768;
  else for (let i = 0; i < info.samples; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** A 16 kHz mono PCM16 WAV file around the given samples (tests, reference inputs). */
export function encodeWavPcm16(samples: Int16Array, sampleRate = WAV_SAMPLE_RATE): Buffer {
  const bytes = wavBytesPcm16(samples, sampleRate);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
