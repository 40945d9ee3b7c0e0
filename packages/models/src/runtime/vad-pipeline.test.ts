import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeWavPcm16, parseWavHeader, readWavSamples } from "../audio/wav.ts";
import { placeSpeech, speechFixtureSamples } from "../reference-inputs.ts";
import { createPipeline } from "./create-pipeline.ts";
import type { Pipeline } from "./pipeline.ts";

const TOLERANCE_SEC = 0.25;

/** The same samples as a float32 WAV. */
function toFloat32Wav(pcm16Wav: Buffer): Buffer {
  const samples = readWavSamples(pcm16Wav, parseWavHeader(pcm16Wav));
  const out = Buffer.from(pcm16Wav.subarray(0, 44));
  out.writeUInt32LE(36 + samples.length * 4, 4);
  out.writeUInt16LE(3, 20);
  out.writeUInt32LE(64_000, 28);
  out.writeUInt16LE(4, 32);
  out.writeUInt16LE(32, 34);
  out.writeUInt32LE(samples.length * 4, 40);
  return Buffer.concat([out, Buffer.from(samples.buffer)]);
}

describe("VAD pipeline (Silero v5)", () => {
  let vad: Pipeline<"vad-silero-v5">;
  beforeAll(async () => {
    vad = await createPipeline("vad-silero-v5");
  });
  afterAll(() => vad.dispose());

  it("finds the speech placed between silences, and none in them", async () => {
    const speechSec = speechFixtureSamples().length / 16_000;
    // 1.0 s silence, speech, 1.5 s silence, speech, 1.5 s silence.
    const starts = [1.0, 1.0 + speechSec + 1.5];
    const total = starts[1]! + speechSec + 1.5;
    const { wav, speech } = placeSpeech(total, starts);
    const out = await vad.run({ audio: wav.toString("base64") });

    expect(out.durationSec).toBeCloseTo(total, 3);
    expect(out.frames).toBe(Math.ceil((total * 16_000) / 512));
    // Every segment lies within a placed phrase (± tolerance): none in the silences.
    for (const seg of out.segments) {
      expect(
        speech.some((p) => seg.start >= p.start - TOLERANCE_SEC && seg.end <= p.end + TOLERANCE_SEC),
        JSON.stringify(seg),
      ).toBe(true);
    }
    // Each phrase is found, starting and ending where it was placed.
    for (const p of speech) {
      const inside = out.segments.filter((s) => s.start >= p.start - TOLERANCE_SEC && s.end <= p.end + TOLERANCE_SEC);
      expect(inside.length, JSON.stringify({ p, segments: out.segments })).toBeGreaterThan(0);
      expect(Math.abs((inside[0]?.start ?? Number.NaN) - p.start)).toBeLessThan(TOLERANCE_SEC);
      expect(Math.abs((inside.at(-1)?.end ?? Number.NaN) - p.end)).toBeLessThan(TOLERANCE_SEC);
    }
  });

  it("gives the same segments for PCM16 and float32 WAV of the same samples, run after run", async () => {
    const { wav } = placeSpeech(5, [1.2]);
    const a = await vad.run({ audio: wav.toString("base64") });
    expect(a.segments.length).toBeGreaterThan(0);
    expect(await vad.run({ audio: toFloat32Wav(wav).toString("base64") })).toEqual(a);
    expect(await vad.run({ audio: wav.toString("base64") })).toEqual(a);
  });

  it("finds nothing in silence", async () => {
    const out = await vad.run({ audio: encodeWavPcm16(new Int16Array(32_000)).toString("base64") });
    expect(out).toEqual({ segments: [], durationSec: 2, frames: 63 });
  });
});
