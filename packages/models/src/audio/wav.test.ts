import { describe, expect, it } from "vitest";
import { ModelInputError } from "../model-input-error.ts";
import { encodeWavPcm16, parseWavHeader, readWavSamples } from "./wav.ts";
import { floatToPcm16, wavBytesPcm16 } from "./wav-bytes.ts";

describe("WAV parsing", () => {
  it("round-trips PCM16 samples", () => {
    const samples = Int16Array.from([0, 1, -1, 32_767, -32_768, 1234]);
    const file = encodeWavPcm16(samples);
    const info = parseWavHeader(file);
    expect(info).toMatchObject({ format: "pcm16", sampleRate: 16_000, channels: 1, dataOffset: 44, samples: 6 });
    expect(Array.from(readWavSamples(file, info))).toEqual(Array.from(samples, (s) => s / 32_768));
  });

  it("skips chunks before the data (LIST, odd-sized padding) and reads float32", () => {
    const fmt = Buffer.alloc(24);
    fmt.write("fmt ", 0, "ascii");
    fmt.writeUInt32LE(16, 4);
    fmt.writeUInt16LE(3, 8); // IEEE float
    fmt.writeUInt16LE(1, 10);
    fmt.writeUInt32LE(16_000, 12);
    fmt.writeUInt32LE(64_000, 16);
    fmt.writeUInt16LE(4, 20);
    fmt.writeUInt16LE(32, 22);
    const list = Buffer.concat([Buffer.from("LIST"), Buffer.from([3, 0, 0, 0]), Buffer.from("abc\0")]);
    const data = Buffer.alloc(8 + 8);
    data.write("data", 0, "ascii");
    data.writeUInt32LE(8, 4);
    data.writeFloatLE(0.5, 8);
    data.writeFloatLE(-0.25, 12);
    const file = Buffer.concat([Buffer.from("RIFF\0\0\0\0WAVE"), list, fmt, data]);
    const info = parseWavHeader(file);
    expect(info).toMatchObject({ format: "float32", samples: 2 });
    expect(Array.from(readWavSamples(file, info))).toEqual([0.5, -0.25]);
  });

  it("counts samples from the whole file's size when given only its head", () => {
    const file = encodeWavPcm16(new Int16Array(10_000));
    expect(parseWavHeader(file.subarray(0, 64), file.length).samples).toBe(10_000);
  });

  it("refuses what the model cannot take", () => {
    expect(() => parseWavHeader(Buffer.from("RIFF"))).toThrow(ModelInputError);
    const stereo = encodeWavPcm16(new Int16Array(4));
    stereo.writeUInt16LE(2, 22);
    expect(() => parseWavHeader(stereo)).toThrow(/mono/);
  });
});

describe("WAV writing without Buffer (the playground's microphone)", () => {
  it("writes the same bytes as the Node encoder, and clips floats to PCM16", () => {
    const pcm = floatToPcm16(Float32Array.from([0, 0.5, -0.5, 1, -1, 2, -2]));
    expect(Array.from(pcm)).toEqual([0, 16_384, -16_384, 32_767, -32_768, 32_767, -32_768]);
    const bytes = wavBytesPcm16(pcm, 16_000);
    expect(Buffer.from(bytes).equals(encodeWavPcm16(pcm))).toBe(true);
    expect(parseWavHeader(bytes)).toMatchObject({ format: "pcm16", sampleRate: 16_000, samples: 7 });
  });
});
