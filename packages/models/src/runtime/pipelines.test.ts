import { readFileSync } from "node:fs";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EncoderOutput, OcrOutput, VadOutput } from "../catalog.ts";
import { encodeWavPcm16 } from "../wav-encode.ts";
import { createPipeline } from "./create-pipeline.ts";
import type { Pipeline } from "./pipeline.ts";

async function renderPng(lines: string[], fontSize = 44): Promise<string> {
  const lh = Math.round(fontSize * 1.8);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="${lh * lines.length + fontSize}"><rect width="100%" height="100%" fill="white"/>${lines
    .map((l, i) => `<text x="30" y="${fontSize + 10 + i * lh}" font-family="DejaVu Sans, sans-serif" font-size="${fontSize}" fill="black">${l}</text>`)
    .join("")}</svg>`;
  return (await sharp(Buffer.from(svg)).png().toBuffer()).toString("base64");
}

const wav = (samples: Int16Array): string => encodeWavPcm16(samples).toString("base64");

describe("OCR pipeline (PP-OCRv4)", () => {
  let ocr: Pipeline;
  beforeAll(async () => {
    ocr = await createPipeline("ocr-ppocr-v4");
  });
  afterAll(() => ocr.dispose());

  it.each([
    [["PROOFGRID 2026", "verified inference"]],
    [["Hello world", "The quick brown fox 42"]],
    [["INVOICE 8812", "Total due 1375"]],
  ])("reads back rendered text exactly: %j", async (lines) => {
    const out = (await ocr.run({ image: await renderPng(lines) })) as OcrOutput;
    expect(out.lines.map((l) => l.text)).toEqual(lines);
    for (const l of out.lines) expect(l.confidence).toBeGreaterThan(0.8);
  });

  it("returns no lines for a blank page", async () => {
    const blank = (await sharp({ create: { width: 300, height: 200, channels: 3, background: "#fff" } }).png().toBuffer()).toString("base64");
    expect(((await ocr.run({ image: blank })) as OcrOutput).lines).toEqual([]);
  });
});

describe("VAD pipeline (Silero v5)", () => {
  it("finds the speech placed between silences, and none in them", async () => {
    const vad = await createPipeline("vad-silero-v5");
    const fixture = readFileSync(new URL("../../fixtures/speech-16k.wav", import.meta.url));
    const speech = new Int16Array(fixture.buffer.slice(fixture.byteOffset + 44, fixture.byteOffset + fixture.length));
    const gap = new Int16Array(16_000 * 1.5);
    const all = new Int16Array(gap.length * 3 + speech.length * 2);
    all.set(speech, gap.length);
    all.set(speech, gap.length * 2 + speech.length);
    const placed = [
      { start: 1.5, end: 1.5 + speech.length / 16_000 },
      { start: 3 + speech.length / 16_000, end: 3 + (2 * speech.length) / 16_000 },
    ];
    const out = (await vad.run({ audio: wav(all) })) as VadOutput;
    await vad.dispose();
    expect(out.segments.length).toBeGreaterThanOrEqual(2);
    for (const seg of out.segments) expect(placed.some((p) => seg.start >= p.start - 0.25 && seg.end <= p.end + 0.25)).toBe(true);
    for (const p of placed) {
      const inside = out.segments.filter((s) => s.start >= p.start - 0.25 && s.end <= p.end + 0.25);
      expect(Math.abs((inside[0]?.start ?? -9) - p.start)).toBeLessThan(0.25);
      expect(Math.abs((inside.at(-1)?.end ?? -9) - p.end)).toBeLessThan(0.25);
    }
  });

  it("finds nothing in silence", async () => {
    const vad = await createPipeline("vad-silero-v5");
    const out = (await vad.run({ audio: wav(new Int16Array(32_000)) })) as VadOutput;
    await vad.dispose();
    expect(out.segments).toEqual([]);
    expect(out.frames).toBe(63);
  });
});

describe("synthetic encoder", () => {
  it("returns 384-dimensional finite vectors, deterministic per text", async () => {
    const enc = await createPipeline("encoder-synthetic-minilm");
    const a = (await enc.run({ text: "hello proofgrid" })) as EncoderOutput;
    const b = (await enc.run({ texts: ["hello proofgrid", "something else"] })) as EncoderOutput;
    await enc.dispose();
    expect(a.dim).toBe(384);
    expect(a.vectors[0]).toHaveLength(384);
    expect(a.vectors[0]?.every(Number.isFinite)).toBe(true);
    expect(b.vectors[0]).toEqual(a.vectors[0]);
    expect(b.vectors[1]).not.toEqual(a.vectors[0]);
  });
});
