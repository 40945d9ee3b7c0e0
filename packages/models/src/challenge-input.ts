/**
 * Proof-of-render challenges as job inputs: por describes a challenge as plain data from a
 * seed (lines of text and a layout; where speech and distractors go; sentences); this file
 * renders that description into the input a built-in model takes. Same seed, same bytes on
 * a given machine, so a checker re-renders exactly what the worker was sent. (The OCR page
 * is rasterised by librsvg with the fonts installed: another machine's fonts may differ in
 * the last pixels, which is why the platform sends the rendered input, not only the seed.)
 */
import {
  type Challenge,
  createPrng,
  type EmbeddingChallenge,
  generateChallenge,
  type OcrChallenge,
  type OutputKind,
  type Prng,
  type VadChallenge,
  type VadDistractor,
} from "@proofgrid/por";
import { encodeWavPcm16, WAV_SAMPLE_RATE } from "./audio/wav.ts";
import { getCatalogEntry } from "./catalog.ts";
import type { ModelInput, ModelKind, ModelSlug } from "./model-schemas.ts";
import { renderTextPng, speechFixtureSamples } from "./reference-inputs.ts";

/** The catalog's kinds are exactly the kinds por compares (checked here at compile time). */
type KindOfSlug = { "ocr-ppocr-v4": "ocr"; "vad-silero-v5": "vad"; "encoder-synthetic-minilm": "embedding" };
type ChallengeOf<K extends ModelKind> = Extract<Challenge, { kind: K }>;

export interface ChallengeInput<S extends ModelSlug> {
  input: ModelInput<S>;
  challenge: ChallengeOf<KindOfSlug[S]>;
}

/** Which comparison a model's outputs get: its catalog kind. Throws for an unknown slug. */
export function outputKindForSlug<S extends ModelSlug>(slug: S): KindOfSlug[S] {
  return getCatalogEntry(slug).kind satisfies OutputKind as KindOfSlug[S];
}

/**
 * The challenge for `slug` generated from `seed` (por's generateChallenge, ≥ 16 characters),
 * and the job input that renders it. Same seed → byte-identical input.
 */
export async function challengeInput<S extends ModelSlug>(slug: S, seed: string): Promise<ChallengeInput<S>> {
  const kind = outputKindForSlug(slug);
  const challenge = generateChallenge({ seed, kind });
  switch (challenge.kind) {
    case "ocr":
      return { input: { image: (await renderOcrPage(challenge)).toString("base64") }, challenge } as ChallengeInput<S>;
    case "vad":
      return { input: { audio: renderVadAudio(challenge).toString("base64") }, challenge } as ChallengeInput<S>;
    case "embedding":
      return { input: embeddingInput(challenge), challenge } as ChallengeInput<S>;
    default:
      throw new Error(`${slug}: no renderer for challenge kind ${challenge.kind}`);
  }
}

/** The page as a PNG, laid out exactly as the challenge says (renderTextPng takes its names). */
export function renderOcrPage(challenge: OcrChallenge): Promise<Buffer> {
  const { lines, fontSize, lineHeight, left, top, width, height } = challenge;
  return renderTextPng(lines, { fontSize, lineHeight, left, top, width, height });
}

/** Distractors fade in and out over 5 ms: a hard edge is a broadband click, not the tone or noise the challenge describes. */
const DISTRACTOR_RAMP_SEC = 0.005;
/** PCM16 full scale: readWavSamples divides by this. */
const PCM16_SCALE = 32_768;

/**
 * 16 kHz mono PCM16 WAV: silence, the speech fixture at each start scaled by its gain, and
 * the distractors synthesised. The noise comes from the challenge seed's PRNG (one stream per
 * distractor), and the tone from Math.sin, whose V8 implementation (a port of fdlibm) gives
 * the same bits on every platform: the samples are a pure function of the seed.
 */
export function renderVadAudio(challenge: VadChallenge & { seed: string }): Buffer {
  if (challenge.sampleRate !== WAV_SAMPLE_RATE)
    throw new RangeError(`VAD challenge at ${challenge.sampleRate} Hz, model takes ${WAV_SAMPLE_RATE}`);
  const mix = new Float64Array(Math.round(challenge.durationSec * WAV_SAMPLE_RATE));
  const speech = speechFixtureSamples();
  for (const { startSec, gain } of challenge.speech) {
    const at = Math.round(startSec * WAV_SAMPLE_RATE);
    if (at < 0 || at + speech.length > mix.length) throw new RangeError(`speech at ${startSec} s runs past ${challenge.durationSec} s`);
    for (let i = 0; i < speech.length; i++) mix[at + i] = (mix[at + i] as number) + (speech[i] as number) * gain;
  }
  const streams = createPrng(challenge.seed).fork("vad-render");
  challenge.distractors.forEach((distractor, index) => {
    addDistractor(mix, distractor, streams.fork(`distractor-${index}`));
  });
  const pcm = new Int16Array(mix.length);
  for (let i = 0; i < mix.length; i++) pcm[i] = Math.max(-PCM16_SCALE, Math.min(PCM16_SCALE - 1, Math.round(mix[i] as number)));
  return encodeWavPcm16(pcm);
}

function addDistractor(mix: Float64Array, d: VadDistractor, prng: Prng): void {
  const from = Math.round(d.startSec * WAV_SAMPLE_RATE);
  const length = Math.round(d.durationSec * WAV_SAMPLE_RATE);
  if (from < 0 || from + length > mix.length) throw new RangeError(`${d.type} distractor at ${d.startSec} s runs past the audio`);
  const ramp = Math.max(1, Math.round(DISTRACTOR_RAMP_SEC * WAV_SAMPLE_RATE));
  const envelope = (i: number) => Math.min(1, (i + 1) / ramp, (length - i) / ramp);
  const scale = d.amplitude * PCM16_SCALE;
  if (d.type === "tone") {
    const step = (2 * Math.PI * d.frequencyHz) / WAV_SAMPLE_RATE;
    for (let i = 0; i < length; i++) mix[from + i] = (mix[from + i] as number) + scale * envelope(i) * Math.sin(step * i);
  } else {
    for (let i = 0; i < length; i++) mix[from + i] = (mix[from + i] as number) + scale * envelope(i) * (prng.nextFloat() * 2 - 1);
  }
}

/** The texts of an embedding challenge as the encoder's input (a copy: the input is sent, the challenge kept). */
export function embeddingInput(challenge: EmbeddingChallenge): { texts: string[] } {
  return { texts: [...challenge.texts] };
}
