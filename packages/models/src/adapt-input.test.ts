import { randomBytes } from "node:crypto";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { ADAPT_LIMITS, adaptInput } from "./adapt-input.ts";
import { checkAudioInput, checkImageInput } from "./inspect-input.ts";
import { LIMITS } from "./model-schemas.ts";

const b64 = (b: Buffer) => b.toString("base64");
const image = (w: number, h: number, format: "png" | "gif" | "tiff" | "jpeg") =>
  sharp({ create: { width: w, height: h, channels: 3, background: { r: 240, g: 240, b: 230 } } })
    .composite([
      { input: Buffer.from(`<svg width="${w}" height="${h}"><text x="10" y="${h / 2}" font-size="${h / 8}">Proofgrid</text></svg>`) },
    ])
    .toFormat(format)
    .toBuffer();

/** A WAV of `seconds` of a `hz` tone in every channel, at `rate`, `bits` PCM. */
function wav(rate: number, channels: number, bits: 8 | 16 | 24, seconds: number, hz = 440): Buffer {
  const frames = Math.round(rate * seconds);
  const bytes = bits / 8;
  const data = Buffer.alloc(frames * channels * bytes);
  for (let f = 0; f < frames; f++) {
    const v = 0.5 * Math.sin((2 * Math.PI * hz * f) / rate);
    for (let c = 0; c < channels; c++) {
      const o = (f * channels + c) * bytes;
      if (bits === 8) data.writeUInt8(Math.round(128 + v * 127), o);
      else if (bits === 16) data.writeInt16LE(Math.round(v * 32_767), o);
      else data.writeIntLE(Math.round(v * 8_388_607), o, 3);
    }
  }
  const head = Buffer.alloc(44);
  head.write("RIFF", 0, "ascii");
  head.writeUInt32LE(36 + data.length, 4);
  head.write("WAVEfmt ", 8, "ascii");
  head.writeUInt32LE(16, 16);
  head.writeUInt16LE(1, 20);
  head.writeUInt16LE(channels, 22);
  head.writeUInt32LE(rate, 24);
  head.writeUInt32LE(rate * channels * bytes, 28);
  head.writeUInt16LE(channels * bytes, 32);
  head.writeUInt16LE(bits, 34);
  head.write("data", 36, "ascii");
  head.writeUInt32LE(data.length, 40);
  return Buffer.concat([head, data]);
}

describe("adaptInput: images the way clients send them", () => {
  it("an image the model takes is passed on as sent, byte for byte, with nothing said", async () => {
    const input = { image: b64(await image(800, 600, "png")) };
    const out = await adaptInput("ocr-ppocr-v4", input);
    expect(out.input).toBe(input);
    expect(out.adjustments).toEqual([]);
  });

  it("a 6000×3000 photo is scaled to fit 4096 px, aspect kept, and the model then takes it", async () => {
    const out = await adaptInput("ocr-ppocr-v4", { image: b64(await image(6000, 3000, "png")) });
    expect(out.adjustments).toEqual(["image scaled from 6000×3000 to 4096×2048 px (at most 4096 px a side)"]);
    await expect(checkImageInput({ image: b64(await image(6000, 3000, "png")) })).rejects.toThrow(/too large/);
    const checked = await checkImageInput(out.input);
    expect([checked.width, checked.height]).toEqual([4096, 2048]);
  });

  it("GIF and TIFF are converted to PNG, said so; SVG is refused, not rendered", async () => {
    for (const format of ["gif", "tiff"] as const) {
      const out = await adaptInput("ocr-ppocr-v4", { image: b64(await image(300, 200, format)) });
      expect(out.adjustments).toEqual([`image converted from ${format.toUpperCase()} to PNG`]);
      const { bytes } = await checkImageInput(out.input);
      expect((await sharp(bytes).metadata()).format).toBe("png");
    }
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><image href="file:///etc/passwd"/></svg>');
    await expect(adaptInput("ocr-ppocr-v4", { image: b64(svg) })).rejects.toThrow(/SVG is not rendered/);
  });

  it("a photo still over 4 MiB once scaled is re-encoded as JPEG until it fits", async () => {
    // Noise does not compress: 1500×1500 of it is ~6.8 MB as PNG, over the model's 4 MiB.
    const raw = randomBytes(1500 * 1500 * 3);
    const png = await sharp(raw, { raw: { width: 1500, height: 1500, channels: 3 } })
      .png({ compressionLevel: 0 })
      .toBuffer();
    expect(png.length).toBeGreaterThan(LIMITS.imageMaxBytes);
    const out = await adaptInput("ocr-ppocr-v4", { image: b64(png) });
    expect(out.adjustments).toContain(`image re-encoded as JPEG to fit ${LIMITS.imageMaxBytes} bytes`);
    const { bytes } = await checkImageInput(out.input);
    expect(bytes.length).toBeLessThanOrEqual(LIMITS.imageMaxBytes);
  });

  it("bounds before decoding: over the conversion byte limit is refused as too large; non-images are left to the model's check", async () => {
    const huge = Buffer.alloc(ADAPT_LIMITS.imageMaxBytes + 3);
    await expect(adaptInput("ocr-ppocr-v4", { image: b64(huge) })).rejects.toMatchObject({ tooLarge: true });
    // 9000×8000 is over the 64 MP the conversion decodes: refused from the header, as too large.
    const vast = await sharp({ create: { width: 9000, height: 8000, channels: 3, background: "#ffffff" } })
      .png()
      .toBuffer();
    await expect(adaptInput("ocr-ppocr-v4", { image: b64(vast) })).rejects.toMatchObject({
      message: "image is too large: 9000×8000 px, at most 64000000 pixels",
      tooLarge: true,
    });
    const junk = { image: b64(Buffer.from("not an image at all")) };
    expect((await adaptInput("ocr-ppocr-v4", junk)).input).toBe(junk);
    const notBase64 = { image: "%%%" };
    expect((await adaptInput("ocr-ppocr-v4", notBase64)).input).toBe(notBase64);
  });
});

describe("adaptInput: audio the way clients send it", () => {
  it("16 kHz mono PCM16 is passed on as sent", async () => {
    const input = { audio: b64(wav(16_000, 1, 16, 1)) };
    const out = await adaptInput("vad-silero-v5", input);
    expect(out.input).toBe(input);
    expect(out.adjustments).toEqual([]);
  });

  it("44.1 kHz stereo is mixed to mono and resampled to 16 kHz: same length in seconds, same tone", async () => {
    const sent = wav(44_100, 2, 16, 2, 440);
    expect(() => checkAudioInput({ audio: b64(sent) })).toThrow(/16000 Hz|mono/);
    const out = await adaptInput("vad-silero-v5", { audio: b64(sent) });
    expect(out.adjustments).toEqual(["audio mixed down from 2 channels to mono", "audio resampled from 44100 Hz to 16000 Hz"]);
    const checked = checkAudioInput(out.input);
    expect(checked.seconds).toBeCloseTo(2, 2);
    // The tone survives: 440 Hz is 880 zero crossings in 1 s of the middle.
    const pcm = Buffer.from(checked.body, "base64").subarray(checked.wav.dataOffset);
    let crossings = 0;
    for (let i = 8_000; i < 24_000; i++) if (pcm.readInt16LE(i * 2) >= 0 !== pcm.readInt16LE((i - 1) * 2) >= 0) crossings++;
    expect(Math.abs(crossings - 880)).toBeLessThanOrEqual(4);
  });

  it("8 kHz 8-bit and 48 kHz 24-bit are converted and said so", async () => {
    const a = await adaptInput("vad-silero-v5", { audio: b64(wav(8_000, 1, 8, 1)) });
    expect(a.adjustments).toEqual(["audio resampled from 8000 Hz to 16000 Hz", "audio converted from PCM 8-bit to PCM 16-bit"]);
    expect(checkAudioInput(a.input).seconds).toBeCloseTo(1, 2);
    const b = await adaptInput("vad-silero-v5", { audio: b64(wav(48_000, 1, 24, 1)) });
    expect(b.adjustments).toEqual(["audio resampled from 48000 Hz to 16000 Hz", "audio converted from PCM 24-bit to PCM 16-bit"]);
    expect(checkAudioInput(b.input).seconds).toBeCloseTo(1, 2);
  });

  it("refuses what it cannot convert, by name: 4 kHz, 12 channels, over ten minutes", async () => {
    await expect(adaptInput("vad-silero-v5", { audio: b64(wav(4_000, 1, 16, 0.1)) })).rejects.toThrow(/4000 Hz is outside/);
    await expect(adaptInput("vad-silero-v5", { audio: b64(wav(16_000, 12, 16, 0.1)) })).rejects.toThrow(/12 channels/);
    await expect(adaptInput("vad-silero-v5", { audio: b64(wav(8_000, 1, 8, 601)) })).rejects.toMatchObject({ tooLarge: true });
  });

  it("the encoder's text is never touched", async () => {
    const input = { text: "hello" };
    expect((await adaptInput("encoder-synthetic-minilm", input)).input).toBe(input);
  });
});
