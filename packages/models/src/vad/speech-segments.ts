/**
 * Speech segments from Silero's per-window probabilities: a port of silero-vad's
 * get_speech_timestamps (utils_vad.py) with its defaults and no maximum speech length.
 */
export interface VadParams {
  sampleRate: number;
  windowSamples: number;
  threshold: number;
  negThreshold: number;
  minSilenceMs: number;
  minSpeechMs: number;
  speechPadMs: number;
}

export const VAD_PARAMS: Readonly<VadParams> = {
  sampleRate: 16_000,
  /** Silero v5 at 16 kHz scores 512-sample (32 ms) windows. */
  windowSamples: 512,
  /** Speech starts at p ≥ 0.5 … */
  threshold: 0.5,
  /** … and may end only where p < 0.35 (threshold − 0.15): the hysteresis. */
  negThreshold: 0.35,
  /** Silence must last 100 ms before speech ends. */
  minSilenceMs: 100,
  /** Segments of 250 ms or less are dropped. */
  minSpeechMs: 250,
  /** Each segment is padded by 30 ms (split evenly when two segments are closer than 60 ms). */
  speechPadMs: 30,
};

export interface SpeechSegment {
  /** Seconds from the start, rounded to the millisecond. */
  start: number;
  end: number;
}

export function speechSegments(probs: ArrayLike<number>, totalSamples: number, p: Readonly<VadParams> = VAD_PARAMS): SpeechSegment[] {
  const ms = (v: number) => (p.sampleRate * v) / 1000;
  const minSpeech = ms(p.minSpeechMs);
  const minSilence = ms(p.minSilenceMs);
  const pad = ms(p.speechPadMs);
  const found: { start: number; end: number }[] = [];
  let start: number | null = null;
  let tempEnd = 0;
  for (let i = 0; i < probs.length; i++) {
    const prob = probs[i] as number;
    const at = p.windowSamples * i;
    if (prob >= p.threshold && tempEnd) tempEnd = 0;
    if (prob >= p.threshold && start === null) {
      start = at;
      continue;
    }
    if (prob < p.negThreshold && start !== null) {
      if (!tempEnd) tempEnd = at;
      if (at - tempEnd < minSilence) continue;
      if (tempEnd - start > minSpeech) found.push({ start, end: tempEnd });
      start = null;
      tempEnd = 0;
    }
  }
  if (start !== null && totalSamples - start > minSpeech) found.push({ start, end: totalSamples });

  // Padding, as silero does: never past the audio, and split a gap shorter than two pads.
  for (let i = 0; i < found.length; i++) {
    const s = found[i] as { start: number; end: number };
    if (i === 0) s.start = Math.max(0, s.start - pad);
    const next = found[i + 1];
    if (next) {
      const gap = next.start - s.end;
      if (gap < 2 * pad) {
        s.end += Math.floor(gap / 2);
        next.start = Math.max(0, next.start - Math.floor(gap / 2));
      } else {
        s.end = Math.min(totalSamples, s.end + pad);
        next.start = Math.max(0, next.start - pad);
      }
    } else {
      s.end = Math.min(totalSamples, s.end + pad);
    }
  }
  const sec = (samples: number) => Math.round((samples / p.sampleRate) * 1000) / 1000;
  return found.map((s) => ({ start: sec(s.start), end: sec(s.end) }));
}
