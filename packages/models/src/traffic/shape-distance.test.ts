import { describe, expect, it } from "vitest";
import type { EncoderShape, OcrShape, VadShape } from "./measure-input.ts";
import { nearestShape, shapeDistance } from "./shape-distance.ts";

const text = (lengths: number[], form: "text" | "texts" = lengths.length > 1 ? "texts" : "text"): EncoderShape => ({
  kind: "embedding",
  form,
  lengths,
});
const page = (width: number, height: number, format: OcrShape["format"] = "png"): OcrShape => ({
  kind: "ocr",
  format,
  width,
  height,
  bytesPerPixel: 0.1,
  hasAlpha: false,
  paperLuma: 250,
  inkLuma: 20,
  noise: 0,
  chroma: 0,
  lines: [],
});
const clip = (durationSec: number): VadShape => ({ kind: "vad", durationSec, noiseRms: 0.001, peak: 0.5, speech: [] });

describe("shapeDistance", () => {
  it("is zero for a shape and itself and symmetric", () => {
    for (const s of [text([40, 90]), page(640, 480), clip(3.2)]) expect(shapeDistance(s, s)).toBe(0);
    expect(shapeDistance(text([40]), text([400]))).toBeCloseTo(shapeDistance(text([400]), text([40])));
  });

  it("never matches across forms, formats or models", () => {
    expect(shapeDistance(text([40]), text([40], "texts"))).toBe(Number.POSITIVE_INFINITY);
    expect(shapeDistance(page(640, 480, "png"), page(640, 480, "jpeg"))).toBe(Number.POSITIVE_INFINITY);
    expect(shapeDistance(clip(1), text([40]))).toBe(Number.POSITIVE_INFINITY);
  });

  it("grows with the difference in size", () => {
    expect(shapeDistance(clip(2), clip(2.5))).toBeLessThan(shapeDistance(clip(2), clip(6)));
    expect(shapeDistance(page(640, 480), page(700, 500))).toBeLessThan(shapeDistance(page(640, 480), page(1600, 1200)));
    expect(shapeDistance(text([40, 50]), text([45, 55]))).toBeLessThan(shapeDistance(text([40, 50]), text([40, 50, 60, 70])));
  });
});

describe("nearestShape", () => {
  it("picks the nearest candidate of the same form, or -1", () => {
    expect(nearestShape(clip(3), [clip(10), clip(3.1), clip(0.5)])).toBe(1);
    expect(nearestShape(text([60]), [text([60, 60]), text([300]), text([70])])).toBe(2);
    expect(nearestShape(page(800, 600, "webp"), [page(800, 600, "png"), page(800, 600, "jpeg")])).toBe(-1);
    expect(nearestShape(clip(3), [])).toBe(-1);
  });
});
