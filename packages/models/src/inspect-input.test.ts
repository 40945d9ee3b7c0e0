import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { buildEncoderBytes } from "./encoder/build-encoder.ts";
import { inspectInput, ModelInputError } from "./inspect-input.ts";
import { createHash } from "node:crypto";

const wavHeader = (rate: number, channels = 1, seconds = 1) => {
  const n = rate * seconds * channels;
  const b = Buffer.alloc(44 + n * 2);
  b.write("RIFF", 0);
  b.writeUInt32LE(36 + n * 2, 4);
  b.write("WAVEfmt ", 8);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(channels, 22);
  b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(rate * 2 * channels, 28);
  b.writeUInt16LE(2 * channels, 32);
  b.writeUInt16LE(16, 34);
  b.write("data", 36);
  b.writeUInt32LE(n * 2, 40);
  return b.toString("base64");
};

describe("inspectInput", () => {
  it("measures valid inputs", async () => {
    const png = (await sharp({ create: { width: 320, height: 100, channels: 3, background: "#fff" } }).png().toBuffer()).toString("base64");
    expect(await inspectInput("ocr-ppocr-v4", { image: png })).toEqual({ kind: "ocr", width: 320, height: 100 });
    expect(await inspectInput("vad-silero-v5", { audio: wavHeader(16_000, 1, 2) })).toEqual({ kind: "vad", seconds: 2 });
    expect(await inspectInput("encoder-synthetic-minilm", { texts: ["ab", "cde"] })).toEqual({ kind: "embedding", items: 2, chars: 5 });
  });

  it.each([
    ["ocr-ppocr-v4", { image: "%%%" }, /base64/],
    ["ocr-ppocr-v4", { image: Buffer.from("hello").toString("base64") }, /decoded/],
    ["ocr-ppocr-v4", { img: "x" }, /./],
    ["vad-silero-v5", { audio: wavHeader(8_000) }, /16000 Hz/],
    ["vad-silero-v5", { audio: wavHeader(16_000, 2) }, /mono/],
    ["vad-silero-v5", { audio: Buffer.from("RIFFxxxxWAVE").toString("base64") }, /WAV/],
    ["encoder-synthetic-minilm", { text: "" }, /./],
    ["encoder-synthetic-minilm", { texts: Array.from({ length: 33 }, () => "a") }, /32/],
    ["encoder-synthetic-minilm", { text: "a".repeat(2_001) }, /2000/],
  ])("%s refuses %j with a clear error", async (slug, input, message) => {
    await expect(inspectInput(slug, input)).rejects.toThrow(ModelInputError);
    await expect(inspectInput(slug, input)).rejects.toThrow(message);
  });

  it("flags size refusals as too large (413, not 400)", async () => {
    const big = await sharp({ create: { width: 4100, height: 10, channels: 3, background: "#fff" } }).png().toBuffer();
    await expect(inspectInput("ocr-ppocr-v4", { image: big.toString("base64") })).rejects.toMatchObject({ tooLarge: true });
    await expect(inspectInput("encoder-synthetic-minilm", { texts: Array.from({ length: 33 }, () => "a") })).rejects.toMatchObject({ tooLarge: true });
  });
});

describe("synthetic encoder build", () => {
  it("is deterministic: two builds hash the same", () => {
    const h = () => createHash("sha256").update(buildEncoderBytes()).digest("hex");
    expect(h()).toBe(h());
  });
});
