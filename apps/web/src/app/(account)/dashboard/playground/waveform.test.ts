import { wavBytesPcm16 } from "@proofgrid/models/audio/wav-bytes";
import { describe, expect, it } from "vitest";
import { takenAsIs, wavFormat } from "./waveform.ts";

const wav = (rate: number) => {
  const b = wavBytesPcm16(new Int16Array(160), rate);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
};

describe("which uploaded WAVs the playground sends as they are", () => {
  it("16 kHz mono PCM16 as is; 22.05 kHz (any other rate) is resampled first", () => {
    expect(wavFormat(wav(16_000))).toEqual({ format: 1, bits: 16, rate: 16_000, channels: 1 });
    expect(takenAsIs(wavFormat(wav(16_000)))).toBe(true);
    expect(takenAsIs(wavFormat(wav(22_050)))).toBe(false);
    expect(takenAsIs(wavFormat(wav(44_100)))).toBe(false);
  });

  it("stereo and what is not a WAV are resampled (or refused by the decoder)", () => {
    const stereo = new Uint8Array(wav(16_000));
    new DataView(stereo.buffer).setUint16(22, 2, true);
    expect(takenAsIs(wavFormat(stereo.buffer))).toBe(false);
    expect(wavFormat(new TextEncoder().encode("ID3 an mp3 file").buffer as ArrayBuffer)).toBeNull();
    expect(takenAsIs(null)).toBe(false);
  });
});
