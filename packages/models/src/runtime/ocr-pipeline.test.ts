import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelInputError } from "../model-input-error.ts";
import { modelId } from "../model-files.ts";
import { renderTextPng } from "../reference-inputs.ts";
import { createPipeline } from "./create-pipeline.ts";
import type { Pipeline } from "./pipeline.ts";

describe("OCR pipeline (PP-OCRv4)", () => {
  let ocr: Pipeline<"ocr-ppocr-v4">;
  beforeAll(async () => {
    ocr = await createPipeline("ocr-ppocr-v4");
  });
  afterAll(() => ocr.dispose());

  it("has the id of its two files", async () => {
    expect(ocr.id).toBe(await modelId("ocr-ppocr-v4"));
    expect(ocr.id).toMatch(/^[0-9a-f]{64}$/);
    expect(ocr.options).toEqual({
      intraOpNumThreads: 2,
      graphOptimizationLevel: "all",
      intraOpSpinning: false,
      executionProviders: ["cpu"],
    });
  });

  it.each([
    [["PROOFGRID 2026", "verified inference"], 48],
    [["Hello world", "The quick brown fox 42"], 48],
    [["INVOICE 8812", "Total due 1375"], 40],
    [["Receipt 0042", "Paid by card", "Thank you"], 36],
    [["abcdefghijklmnopqrstuvwxyz"], 44],
    [["PROOFGRID BENCHMARK", "verified inference 2026"], 40],
    [["Meeting at 10 am on Friday", "Call 555 0199 now"], 28],
  ])("reads back rendered text exactly, line by line: %j at %i px", async (lines, fontSize) => {
    const png = await renderTextPng(lines, { fontSize });
    const { width, height } = await sharp(png).metadata();
    const out = await ocr.run({ image: png.toString("base64") });
    expect(out.lines.map((l) => l.text)).toEqual(lines);
    expect(out).toMatchObject({ width, height });
    for (const l of out.lines) {
      expect(l.confidence).toBeGreaterThan(0.8);
      expect(l.confidence).toBeLessThanOrEqual(1);
      expect(l.box).toHaveLength(4);
      for (const [x, y] of l.box) {
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(width);
        expect(y).toBeGreaterThanOrEqual(0);
        expect(y).toBeLessThanOrEqual(height);
      }
    }
    // Boxes run down the page in reading order, each around its line's baseline.
    const tops = out.lines.map((l) => l.box[0]?.[1] ?? -1);
    expect([...tops].sort((a, b) => a - b)).toEqual(tops);
  });

  it("gives identical output for identical input", async () => {
    const input = { image: (await renderTextPng(["same input", "same output 7"])).toString("base64") };
    expect(await ocr.run(input)).toEqual(await ocr.run(input));
  });

  it("reads JPEG and WebP, and finds no lines on a blank page", async () => {
    const png = await renderTextPng(["JPEG and WebP 99"]);
    for (const buf of [await sharp(png).jpeg({ quality: 90 }).toBuffer(), await sharp(png).webp({ quality: 90 }).toBuffer()]) {
      expect((await ocr.run({ image: buf.toString("base64") })).lines.map((l) => l.text)).toEqual(["JPEG and WebP 99"]);
    }
    const blank = await sharp({ create: { width: 300, height: 200, channels: 3, background: "#ffffff" } })
      .png()
      .toBuffer();
    expect(await ocr.run({ image: blank.toString("base64") })).toEqual({ lines: [], width: 300, height: 200 });
  });

  it("refuses a malformed image with ModelInputError", async () => {
    await expect(ocr.run({ image: "bm90IGFuIGltYWdl" })).rejects.toThrow(ModelInputError);
  });
});
