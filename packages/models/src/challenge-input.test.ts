import { createHash } from "node:crypto";
import { generateChallenge, normalizeOcrText } from "@proofgrid/por";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseWavHeader, readWavSamples, WAV_SAMPLE_RATE } from "./audio/wav.ts";
import { challengeInput, outputKindForSlug } from "./challenge-input.ts";
import { MODEL_SLUGS } from "./model-schemas.ts";
import { speechFixtureSamples } from "./reference-inputs.ts";
import { createPipeline } from "./runtime/create-pipeline.ts";
import type { Pipeline } from "./runtime/pipeline.ts";

const sha256 = (value: unknown) => createHash("sha256").update(JSON.stringify(value)).digest("hex");
const seed = (i: number) => `challenge-input-test-${i}`;

describe("outputKindForSlug", () => {
  it("is the catalog kind of each built-in model", () => {
    expect(MODEL_SLUGS.map(outputKindForSlug)).toEqual(["ocr", "vad", "embedding"]);
    expect(() => outputKindForSlug("gpt-5" as never)).toThrow(/no built-in model gpt-5/);
  });
});

describe("challengeInput", () => {
  it("renders the challenge por generates from the seed, byte for byte the same each time", async () => {
    for (const slug of MODEL_SLUGS) {
      const first = await challengeInput(slug, seed(1));
      expect(first.challenge).toEqual(generateChallenge({ seed: seed(1), kind: outputKindForSlug(slug) }));
      expect(sha256((await challengeInput(slug, seed(1))).input), slug).toBe(sha256(first.input));
      expect(sha256((await challengeInput(slug, seed(2))).input), slug).not.toBe(sha256(first.input));
    }
  });

  it("OCR: a PNG of the challenge's size", async () => {
    const { input, challenge } = await challengeInput("ocr-ppocr-v4", seed(3));
    const meta = await sharp(Buffer.from(input.image, "base64")).metadata();
    expect(meta).toMatchObject({ format: "png", width: challenge.width, height: challenge.height });
  });

  it("VAD: the speech fixture at each start with its gain, the distractors in their spans, silence elsewhere", async () => {
    const { input, challenge } = await challengeInput("vad-silero-v5", seed(4));
    const wav = Buffer.from(input.audio, "base64");
    const samples = readWavSamples(wav, parseWavHeader(wav));
    expect(samples.length).toBe(Math.round(challenge.durationSec * WAV_SAMPLE_RATE));
    const speech = speechFixtureSamples();
    const covered = new Uint8Array(samples.length);
    for (const { startSec, gain } of challenge.speech) {
      const at = Math.round(startSec * WAV_SAMPLE_RATE);
      for (const i of [0, 1_000, 20_000, speech.length - 1]) {
        expect(Math.round((samples[at + i] as number) * 32_768)).toBe(Math.round((speech[i] as number) * gain));
      }
      covered.fill(1, at, at + speech.length);
    }
    for (const d of challenge.distractors) {
      const from = Math.round(d.startSec * WAV_SAMPLE_RATE);
      const span = samples.subarray(from, from + Math.round(d.durationSec * WAV_SAMPLE_RATE));
      const rms = Math.sqrt(span.reduce((sum, x) => sum + x * x, 0) / span.length);
      // A sine's RMS is amplitude/√2 and uniform noise's amplitude/√3 (less the 5 ms fades).
      expect(rms, d.type).toBeGreaterThan(d.amplitude / 2);
      expect(rms, d.type).toBeLessThan(d.amplitude);
      covered.fill(1, from, from + span.length);
    }
    expect(samples.every((x, i) => covered[i] === 1 || x === 0)).toBe(true);
  });

  it("embedding: the challenge's texts", async () => {
    const { input, challenge } = await challengeInput("encoder-synthetic-minilm", seed(5));
    expect(input).toEqual({ texts: challenge.texts });
  });
});

describe("challenge inputs through the real models read back their ground truth", () => {
  let ocr: Pipeline<"ocr-ppocr-v4">;
  let vad: Pipeline<"vad-silero-v5">;
  beforeAll(async () => {
    ocr = await createPipeline("ocr-ppocr-v4");
    vad = await createPipeline("vad-silero-v5");
  });
  afterAll(async () => {
    await ocr.dispose();
    await vad.dispose();
  });

  it("OCR reads nearly every rendered line exactly", async () => {
    let lines = 0;
    let exact = 0;
    for (let i = 0; i < 6; i++) {
      const { input, challenge } = await challengeInput("ocr-ppocr-v4", seed(100 + i));
      const read = (await ocr.run(input)).lines.map((line) => normalizeOcrText(line.text));
      expect(read.length, JSON.stringify({ read, expected: challenge.lines })).toBe(challenge.lines.length);
      lines += challenge.lines.length;
      exact += challenge.lines.filter((line, k) => normalizeOcrText(line) === read[k]).length;
    }
    // bench/por-honest.ts: 158 of 160 lines over 27 challenges.
    expect(exact / lines).toBeGreaterThanOrEqual(0.9);
  });

  it("VAD finds each placed copy of the speech, and nothing in the distractors", async () => {
    const toleranceSec = 0.25;
    for (let i = 0; i < 8; i++) {
      const { input, challenge } = await challengeInput("vad-silero-v5", seed(200 + i));
      const { segments } = await vad.run(input);
      const context = JSON.stringify({ segments, challenge });
      expect(segments.length, context).toBe(challenge.expectedSpeech.length);
      challenge.expectedSpeech.forEach((expected, k) => {
        expect(Math.abs((segments[k]?.start ?? Number.NaN) - expected.start), context).toBeLessThan(toleranceSec);
        expect(Math.abs((segments[k]?.end ?? Number.NaN) - expected.end), context).toBeLessThan(toleranceSec);
      });
    }
  });
});
