/** Columns of the drawn waveform: its peaks, not its samples (10 min of audio is 9.6 M samples). */
export const WAVEFORM_COLUMNS = 600;
/** A real WAV has a handful of chunks before its data; a crafted file cannot loop us. */
const MAX_CHUNKS = 64;

export interface Waveform {
  /** Per column, the largest absolute sample in [0, 1]. */
  peaks: number[];
  durationSec: number;
}

/**
 * Peaks of a 16 kHz mono PCM16 or float32 WAV, for drawing in the browser (no Buffer here).
 * Returns null for anything else: the server then says what is wrong with the file.
 */
export function wavePeaks(bytes: ArrayBuffer): Waveform | null {
  const view = new DataView(bytes);
  const tag = (off: number) =>
    String.fromCharCode(view.getUint8(off), view.getUint8(off + 1), view.getUint8(off + 2), view.getUint8(off + 3));
  if (view.byteLength < 12 || tag(0) !== "RIFF" || tag(8) !== "WAVE") return null;
  let off = 12;
  let fmt: { format: number; bits: number; rate: number } | null = null;
  for (let i = 0; i < MAX_CHUNKS && off + 8 <= view.byteLength; i++) {
    const size = view.getUint32(off + 4, true);
    if (tag(off) === "fmt " && off + 24 <= view.byteLength) {
      fmt = { format: view.getUint16(off + 8, true), rate: view.getUint32(off + 12, true), bits: view.getUint16(off + 22, true) };
    } else if (tag(off) === "data" && fmt) {
      const pcm16 = fmt.format === 1 && fmt.bits === 16;
      if (!pcm16 && !(fmt.format === 3 && fmt.bits === 32)) return null;
      const width = pcm16 ? 2 : 4;
      const start = off + 8;
      const samples = Math.floor(Math.min(size === 0 ? Number.POSITIVE_INFINITY : size, view.byteLength - start) / width);
      if (samples <= 0) return null;
      const peaks = new Array<number>(Math.min(WAVEFORM_COLUMNS, samples)).fill(0);
      const per = samples / peaks.length;
      for (let s = 0; s < samples; s++) {
        const v = Math.abs(pcm16 ? view.getInt16(start + s * 2, true) / 32_768 : view.getFloat32(start + s * 4, true));
        const c = Math.min(peaks.length - 1, Math.floor(s / per));
        if (v > (peaks[c] ?? 0)) peaks[c] = Math.min(1, v);
      }
      return { peaks, durationSec: samples / fmt.rate };
    }
    off += 8 + size + (size % 2);
  }
  return null;
}

export interface WavFormat {
  /** 1 = PCM, 3 = IEEE float (the real format of WAVE_FORMAT_EXTENSIBLE files). */
  format: number;
  bits: number;
  rate: number;
  channels: number;
}

/** The fmt chunk of a RIFF/WAVE file, or null when it is not one. */
export function wavFormat(bytes: ArrayBuffer): WavFormat | null {
  const view = new DataView(bytes);
  const tag = (off: number) =>
    String.fromCharCode(view.getUint8(off), view.getUint8(off + 1), view.getUint8(off + 2), view.getUint8(off + 3));
  if (view.byteLength < 12 || tag(0) !== "RIFF" || tag(8) !== "WAVE") return null;
  let off = 12;
  for (let i = 0; i < MAX_CHUNKS && off + 8 <= view.byteLength; i++) {
    const size = view.getUint32(off + 4, true);
    if (tag(off) === "fmt " && off + 24 <= view.byteLength) {
      let format = view.getUint16(off + 8, true);
      if (format === 0xfffe && size >= 40 && off + 34 <= view.byteLength) format = view.getUint16(off + 32, true);
      return {
        format,
        channels: view.getUint16(off + 10, true),
        rate: view.getUint32(off + 12, true),
        bits: view.getUint16(off + 22, true),
      };
    }
    off += 8 + size + (size % 2);
  }
  return null;
}

/** Whether the VAD model takes the file as it is (16 kHz mono PCM16 or float32); anything else is resampled in the browser first. */
export function takenAsIs(f: WavFormat | null): boolean {
  return f !== null && f.rate === 16_000 && f.channels === 1 && ((f.format === 1 && f.bits === 16) || (f.format === 3 && f.bits === 32));
}
