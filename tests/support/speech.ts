import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { encodeWavPcm16 } from "@proofgrid/models/wav-encode";

const RATE = 16_000;
const FIXTURE = fileURLToPath(new URL("../../packages/models/fixtures/speech-16k.wav", import.meta.url));

/** PCM16 samples of the espeak-ng recording committed with the models package. */
function speechSamples(): Int16Array {
  const buf = readFileSync(FIXTURE);
  let off = 12;
  while (off + 8 <= buf.length) {
    const id = buf.toString("ascii", off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    if (id === "data") return new Int16Array(buf.buffer.slice(buf.byteOffset + off + 8, buf.byteOffset + off + 8 + size));
    off += 8 + size + (size % 2);
  }
  throw new Error("no data chunk in speech fixture");
}

/**
 * Silence, speech, silence, speech, silence — assembled in memory so the test knows where
 * the speech is. Quiet noise (not digital zero) keeps the silence realistic.
 */
export function speechRecording(): { wav: Buffer; speech: { start: number; end: number }[] } {
  const speech = speechSamples();
  const parts: { samples: Int16Array | null; seconds: number }[] = [
    { samples: null, seconds: 1.0 },
    { samples: speech, seconds: speech.length / RATE },
    { samples: null, seconds: 1.5 },
    { samples: speech, seconds: speech.length / RATE },
    { samples: null, seconds: 1.0 },
  ];
  const total = parts.reduce((n, p) => n + Math.round(p.seconds * RATE), 0);
  const out = new Int16Array(total);
  let pos = 0;
  let seed = 12345;
  const spans: { start: number; end: number }[] = [];
  for (const p of parts) {
    const n = Math.round(p.seconds * RATE);
    if (p.samples) spans.push({ start: pos / RATE, end: (pos + n) / RATE });
    for (let i = 0; i < n; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const noise = ((seed / 0x7fffffff) * 2 - 1) * 30;
      out[pos + i] = Math.max(-32768, Math.min(32767, Math.round(p.samples ? (p.samples[i] ?? 0) : noise)));
    }
    pos += n;
  }
  return { wav: encodeWavPcm16(out, RATE), speech: spans };
}

/**
 * The same recording at another sample rate (linear interpolation), as a PCM16 WAV: what a
 * person's 22.05 or 44.1 kHz file looks like. The speech stays where `speech` says (seconds).
 */
export function speechRecordingAt(rate: number): { wav: Buffer; speech: { start: number; end: number }[] } {
  const { wav, speech } = speechRecording();
  const src = new Int16Array(wav.buffer.slice(wav.byteOffset + 44, wav.byteOffset + wav.length));
  const n = Math.floor((src.length * rate) / RATE);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    const t = (i * RATE) / rate;
    const j = Math.floor(t);
    const a = src[j] ?? 0;
    const b = src[j + 1] ?? a;
    out[i] = Math.round(a + (b - a) * (t - j));
  }
  return { wav: encodeWavPcm16(out, rate), speech };
}
