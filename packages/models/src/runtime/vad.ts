import { readFileSync } from "node:fs";
import { type VadInput, type VadOutput, ZVadInput } from "../catalog.ts";
import { decodeBase64, parseWavHeader } from "../inspect-input.ts";
import { ModelInputError } from "../model-input-error.ts";
import { assemblePipeline, type Pipeline } from "./pipeline.ts";
import { ort, type SessionOptions, TracedSession } from "./session.ts";

const RATE = 16_000;
const FRAME = 512; // 32 ms at 16 kHz: Silero v5's window
const CONTEXT = 64; // v5 expects the previous frame's last 64 samples in front of each frame
const FRAME_SEC = FRAME / RATE;

// Silero's get_speech_timestamps defaults: speech starts at p ≥ 0.5, ends after 100 ms
// below 0.35; shorter than 250 ms is dropped; 30 ms of padding on each side.
export const VAD_PARAMS = { threshold: 0.5, negThreshold: 0.35, minSilenceSec: 0.1, minSpeechSec: 0.25, padSec: 0.03 } as const;

export function decodeWavSamples(audioBase64: string): Float32Array {
  const buf = decodeBase64(audioBase64, "audio");
  const wav = parseWavHeader(buf);
  const out = new Float32Array(wav.samples);
  for (let i = 0; i < wav.samples; i++) {
    out[i] = wav.format === "pcm16" ? buf.readInt16LE(wav.dataOffset + i * 2) / 32_768 : buf.readFloatLE(wav.dataOffset + i * 4);
  }
  return out;
}

/** Frame probabilities → speech segments (seconds), as Silero's reference code does. */
export function segmentsFromProbabilities(probs: readonly number[], durationSec: number, p = VAD_PARAMS): { start: number; end: number }[] {
  const segments: { start: number; end: number }[] = [];
  let start: number | null = null;
  let silenceStart: number | null = null;
  probs.forEach((prob, i) => {
    const t = i * FRAME_SEC;
    if (prob >= p.threshold) {
      silenceStart = null;
      if (start === null) start = t;
    } else if (start !== null && prob < p.negThreshold) {
      silenceStart ??= t;
      if (t + FRAME_SEC - silenceStart >= p.minSilenceSec) {
        if (silenceStart - start >= p.minSpeechSec) segments.push({ start, end: silenceStart });
        start = null;
        silenceStart = null;
      }
    }
  });
  if (start !== null && durationSec - start >= p.minSpeechSec) segments.push({ start, end: durationSec });
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return segments.map((s) => ({ start: round(Math.max(0, s.start - p.padSec)), end: round(Math.min(durationSec, s.end + p.padSec)) }));
}

export async function createVadPipeline(file: string, opts: SessionOptions): Promise<Pipeline<VadInput, VadOutput>> {
  const session = await TracedSession.create(new Uint8Array(readFileSync(file)), { ...opts, intraOpNumThreads: 1 });
  const sr = new ort.Tensor("int64", BigInt64Array.from([BigInt(RATE)]), []);

  async function run(input: VadInput): Promise<VadOutput> {
    const parsed = ZVadInput.safeParse(input);
    if (!parsed.success) throw new ModelInputError("VAD input must be { audio: base64 WAV }");
    const samples = decodeWavSamples(parsed.data.audio);
    const frames = Math.ceil(samples.length / FRAME);
    let state: ort.Tensor = new ort.Tensor("float32", new Float32Array(2 * 128), [2, 1, 128]);
    const window = new Float32Array(CONTEXT + FRAME);
    const probs: number[] = [];
    for (let f = 0; f < frames; f++) {
      // Keep the last 64 samples of the previous frame, then this frame (zero-padded at the end).
      window.copyWithin(0, FRAME, FRAME + CONTEXT);
      window.fill(0, CONTEXT);
      window.set(samples.subarray(f * FRAME, Math.min(samples.length, (f + 1) * FRAME)), CONTEXT);
      const out = await session.run({ input: new ort.Tensor("float32", window.slice(), [1, CONTEXT + FRAME]), state, sr });
      probs.push((out.output?.data as Float32Array)[0] ?? 0);
      state = out.stateN as ort.Tensor;
    }
    const durationSec = samples.length / RATE;
    return { segments: segmentsFromProbabilities(probs, durationSec), durationSec: Math.round(durationSec * 1000) / 1000, frames };
  }

  return assemblePipeline("vad-silero-v5", [session], run);
}
