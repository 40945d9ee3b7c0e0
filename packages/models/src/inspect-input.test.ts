import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { encodeWavPcm16 } from "./audio/wav.ts";
import { inspectInput, ModelInputError } from "./inspect-input.ts";
import { LIMITS } from "./model-schemas.ts";

const png = async (width: number, height: number) =>
  (
    await sharp({ create: { width, height, channels: 3, background: "#ffffff" } })
      .png()
      .toBuffer()
  ).toString("base64");

/** A WAV header with any rate and channel count, then `seconds` of silence. */
function wav(opts: { rate?: number; channels?: number; seconds?: number; bits?: 16 | 32; format?: 1 | 3 } = {}): Buffer {
  const { rate = 16_000, channels = 1, seconds = 1, bits = 16, format = 1 } = opts;
  const dataBytes = Math.round(rate * seconds) * channels * (bits / 8);
  const b = Buffer.alloc(44 + dataBytes);
  b.write("RIFFxxxxWAVEfmt ", 0, "ascii");
  b.writeUInt32LE(36 + dataBytes, 4);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(format, 20);
  b.writeUInt16LE(channels, 22);
  b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(rate * channels * (bits / 8), 28);
  b.writeUInt16LE(channels * (bits / 8), 32);
  b.writeUInt16LE(bits, 34);
  b.write("data", 36, "ascii");
  b.writeUInt32LE(dataBytes, 40);
  return b;
}

async function refusal(slug: string, input: unknown): Promise<ModelInputError> {
  try {
    await inspectInput(slug, input);
  } catch (err) {
    if (err instanceof ModelInputError) return err;
    throw err;
  }
  throw new Error(`expected ${slug} to refuse ${JSON.stringify(input).slice(0, 100)}`);
}

describe("inspectInput", () => {
  it("measures valid inputs of each model", async () => {
    expect(await inspectInput("ocr-ppocr-v4", { image: await png(320, 100) })).toEqual({ kind: "ocr", width: 320, height: 100 });
    expect(await inspectInput("ocr-ppocr-v4", { image: `data:image/png;base64,${await png(20, 30)}` })).toEqual({
      kind: "ocr",
      width: 20,
      height: 30,
    });
    expect(await inspectInput("vad-silero-v5", { audio: encodeWavPcm16(new Int16Array(32_000)).toString("base64") })).toEqual({
      kind: "vad",
      seconds: 2,
    });
    expect(await inspectInput("vad-silero-v5", { audio: wav({ bits: 32, format: 3, seconds: 1.5 }).toString("base64") })).toEqual({
      kind: "vad",
      seconds: 1.5,
    });
    // "hello world" is [CLS] hello world [SEP]; "a, b" is [CLS] a , b [SEP].
    expect(await inspectInput("encoder-synthetic-minilm", { texts: ["hello world", "a, b"] })).toEqual({
      kind: "embedding",
      items: 2,
      chars: 15,
      tokens: 9,
    });
    expect(await inspectInput("encoder-synthetic-minilm", { text: "word ".repeat(400) })).toMatchObject({
      items: 1,
      tokens: LIMITS.encoderMaxTokens,
    });
  });

  it.each([
    ["ocr-ppocr-v4", { image: "%%%%" }, /image is not valid base64/],
    ["ocr-ppocr-v4", { image: "aGVsbG8" }, /not valid base64/],
    ["ocr-ppocr-v4", { image: Buffer.from("hello world!").toString("base64") }, /could not be decoded/],
    ["ocr-ppocr-v4", { img: "aGVsbG8=" }, /image/],
    ["ocr-ppocr-v4", "not an object", /expected object/],
    ["vad-silero-v5", { audio: wav({ rate: 8_000 }).toString("base64") }, /16000 Hz \(got 8000 Hz\)/],
    ["vad-silero-v5", { audio: wav({ rate: 44_100 }).toString("base64") }, /got 44100 Hz/],
    ["vad-silero-v5", { audio: wav({ channels: 2 }).toString("base64") }, /mono \(got 2 channels\)/],
    ["vad-silero-v5", { audio: wav({ bits: 32, format: 1 }).toString("base64") }, /PCM16 or float32/],
    ["vad-silero-v5", { audio: Buffer.from("RIFF\0\0\0\0WAVEjunk").toString("base64") }, /no data chunk/],
    ["vad-silero-v5", { audio: Buffer.from("ID3 not a wave file").toString("base64") }, /not a WAV file/],
    ["vad-silero-v5", { audio: wav({ seconds: 0.01 }).toString("base64") }, /at least one 32 ms window/],
    ["encoder-synthetic-minilm", { text: "" }, /text is empty/],
    ["encoder-synthetic-minilm", { texts: [] }, /texts is empty/],
    ["encoder-synthetic-minilm", { text: "a", texts: ["b"] }, /unrecognized key/i],
    ["encoder-synthetic-minilm", { texts: ["ok", 7] }, /texts\.1/],
    ["gpt-5", { text: "hi" }, /no built-in model gpt-5/],
  ])("%s refuses %j with a clear error", async (slug, input, message) => {
    const err = await refusal(slug, input);
    expect(err.message).toMatch(message);
    expect(err.tooLarge).toBe(false);
  });

  it.each([
    [
      "an image over 4 MiB, before decoding it",
      async () => ({ image: "A".repeat(4 * Math.ceil(LIMITS.imageMaxBytes / 3) + 200) }),
      /image is too large: at most 4194304 bytes/,
    ],
    ["an image wider than 4096 px", async () => ({ image: await png(4097, 8) }), /4097×8 px, at most 4096 px per side/],
    [
      "audio longer than 10 minutes",
      async () => ({ audio: wav({ seconds: 600.5 }).toString("base64") }),
      /audio is too large: 600\.5 s, at most 600 s/,
    ],
    ["33 texts", async () => ({ texts: Array.from({ length: 33 }, () => "a") }), /too many texts: at most 32 per job/],
    ["a text of 2,001 characters", async () => ({ text: "a".repeat(2_001) }), /text is too large: at most 2000 characters/],
  ])("refuses %s as too large (HTTP 413)", async (what, make, message) => {
    const slug = what.includes("image") ? "ocr-ppocr-v4" : what.includes("audio") ? "vad-silero-v5" : "encoder-synthetic-minilm";
    const err = await refusal(slug, await make());
    expect(err.message).toMatch(message);
    expect(err.tooLarge).toBe(true);
    // The web app maps size refusals to 413 by these words.
    expect(err.message).toMatch(/too large|at most/);
  });

  it("reads a long WAV's length from its header without decoding the samples", async () => {
    // 9 minutes of PCM16: 17 MB decoded. Only the first 256 KiB of base64 is decoded.
    const audio = wav({ seconds: 540 }).toString("base64");
    const before = process.memoryUsage().arrayBuffers;
    expect(await inspectInput("vad-silero-v5", { audio })).toEqual({ kind: "vad", seconds: 540 });
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * 1024 * 1024);
  });
});
