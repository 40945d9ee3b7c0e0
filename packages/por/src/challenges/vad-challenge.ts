import type { Prng } from "./prng.ts";

// A VAD challenge: an audio timeline of silence, copies of a real speech clip, and
// non-speech distractors (a pure tone, broadband noise) in the gaps. A worker running the
// real model marks the speech and ignores the distractors; an energy threshold or a guess
// does not. The renderer places the clip (the models package's placeSpeech) and synthesises
// the distractors; all times are whole milliseconds.

export const VAD_SAMPLE_RATE = 16_000;
/** The models package's speech fixture (espeak-ng phrase), seconds. */
export const DEFAULT_SPEECH_CLIP_SEC = 2.5;

export type VadDistractor =
  | { type: "tone"; startSec: number; durationSec: number; frequencyHz: number; amplitude: number }
  | { type: "noise"; startSec: number; durationSec: number; amplitude: number };

export interface VadChallenge {
  kind: "vad";
  sampleRate: typeof VAD_SAMPLE_RATE;
  durationSec: number;
  speechClipSec: number;
  /** Where copies of the clip start, and their gain (1 = as recorded). */
  speech: { startSec: number; gain: number }[];
  distractors: VadDistractor[];
  /** Where speech was placed: the ground truth, before the model's own padding. */
  expectedSpeech: { start: number; end: number }[];
}

export function generateVadChallenge(prng: Prng, options: { speechClipSec?: number } = {}): VadChallenge {
  const clipSec = options.speechClipSec ?? DEFAULT_SPEECH_CLIP_SEC;
  if (!(clipSec > 0 && clipSec <= 30)) throw new RangeError(`speechClipSec must be in (0, 30], got ${clipSec}`);
  const clipMs = Math.round(clipSec * 1000);
  const speech: VadChallenge["speech"] = [];
  const distractors: VadDistractor[] = [];
  const expectedSpeech: VadChallenge["expectedSpeech"] = [];
  // Integer milliseconds throughout, so times print and sum exactly.
  let atMs = prng.int(500, 1_500);
  const copies = prng.int(1, 3);
  for (let i = 0; i < copies; i++) {
    speech.push({ startSec: atMs / 1000, gain: prng.float(0.5, 1, 2) });
    expectedSpeech.push({ start: atMs / 1000, end: (atMs + clipMs) / 1000 });
    atMs += clipMs;
    // Gaps of ≥ 800 ms: Silero ends speech after 100 ms of silence and pads 30 ms each side,
    // so separate copies stay separate segments.
    const gapMs = prng.int(800, 2_500);
    if (gapMs >= 1_200) {
      // Keep 300 ms of silence between a distractor and speech on each side.
      const startMs = atMs + 300;
      const durationMs = prng.int(300, gapMs - 600);
      distractors.push(
        prng.chance(0.5)
          ? {
              type: "tone",
              startSec: startMs / 1000,
              durationSec: durationMs / 1000,
              frequencyHz: prng.int(200, 4_000),
              amplitude: prng.float(0.05, 0.3, 2),
            }
          : { type: "noise", startSec: startMs / 1000, durationSec: durationMs / 1000, amplitude: prng.float(0.01, 0.1, 3) },
      );
    }
    atMs += gapMs;
  }
  return {
    kind: "vad",
    sampleRate: VAD_SAMPLE_RATE,
    durationSec: atMs / 1000,
    speechClipSec: clipMs / 1000,
    speech,
    distractors,
    expectedSpeech,
  };
}
