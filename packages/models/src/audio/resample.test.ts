import { describe, expect, it } from "vitest";
import { resample } from "./resample.ts";

const tone = (hz: number, rate: number, seconds: number) =>
  Float32Array.from({ length: Math.round(rate * seconds) }, (_, i) => Math.sin((2 * Math.PI * hz * i) / rate));
const rms = (x: ArrayLike<number>, from = 0, to = x.length) => {
  let s = 0;
  for (let i = from; i < to; i++) s += (x[i] as number) ** 2;
  return Math.sqrt(s / (to - from));
};

describe("resample: band-limited sample-rate conversion", () => {
  it("44.1 kHz → 16 kHz keeps a 1 kHz tone: the same sine at the new rate, within 1 %", () => {
    const out = resample(tone(1_000, 44_100, 1), 44_100, 16_000);
    expect(out.length).toBe(16_000);
    const want = tone(1_000, 16_000, 1);
    const err = Float32Array.from(out, (v, i) => v - (want[i] as number));
    // Away from the edges (where the signal starts from silence).
    expect(rms(err, 100, 15_900) / rms(want, 100, 15_900)).toBeLessThan(0.01);
  });

  it("removes what 16 kHz cannot hold: a 12 kHz tone at 44.1 kHz comes out ≥ 40 dB down, not as an alias", () => {
    const out = resample(tone(12_000, 44_100, 1), 44_100, 16_000);
    expect(rms(out, 100, out.length - 100)).toBeLessThan(Math.SQRT1_2 * 0.01);
  });

  it("8 kHz → 16 kHz doubles the samples and keeps a 1 kHz tone", () => {
    const out = resample(tone(1_000, 8_000, 0.5), 8_000, 16_000);
    expect(out.length).toBe(8_000);
    const want = tone(1_000, 16_000, 0.5);
    const err = Float32Array.from(out, (v, i) => v - (want[i] as number));
    expect(rms(err, 100, 7_900) / rms(want, 100, 7_900)).toBeLessThan(0.01);
  });

  it("48 kHz → 16 kHz and an odd rate (22 050 Hz) give the right lengths; equal rates copy", () => {
    expect(resample(new Float32Array(48_000), 48_000, 16_000).length).toBe(16_000);
    expect(resample(new Float32Array(22_050), 22_050, 16_000).length).toBe(16_000);
    expect(Array.from(resample([0.5, -0.25], 16_000, 16_000))).toEqual([0.5, -0.25]);
    expect(() => resample([0], 0, 16_000)).toThrow(/positive integers/);
  });
});
