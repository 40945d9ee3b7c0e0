import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareJobOutputs } from "../compare/compare-job-outputs.ts";
import { plantWrongOutput } from "./planted-output.ts";

const ocr = {
  lines: [
    {
      text: "Invoice 2026-0117",
      confidence: 0.97,
      box: [
        [10, 10],
        [300, 10],
        [300, 50],
        [10, 50],
      ],
    },
    {
      text: "Total 418.20 EUR",
      confidence: 0.96,
      box: [
        [10, 70],
        [280, 70],
        [280, 110],
        [10, 110],
      ],
    },
  ],
  width: 640,
  height: 160,
};
const vad = {
  segments: [
    { start: 1.02, end: 3.5 },
    { start: 5.5, end: 8.01 },
  ],
  durationSec: 10,
  frames: 312,
};
const embedding = { dim: 384, vectors: [Array.from({ length: 384 }, (_, i) => Math.sin(i) * 0.05)] };

describe("plantWrongOutput", () => {
  it("property: the planted result is always outside tolerance, for every kind and seed", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
        for (const [kind, output] of [
          ["ocr", ocr],
          ["vad", vad],
          ["embedding", embedding],
        ] as const) {
          const wrong = plantWrongOutput(kind, output, seed);
          expect(compareJobOutputs(kind, output, wrong).match).toBe(false);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("keeps the output's shape (a lazy checker cannot spot it by form) and leaves the original alone", () => {
    const before = JSON.stringify(ocr);
    const wrong = plantWrongOutput("ocr", ocr, 7) as typeof ocr;
    expect(JSON.stringify(ocr)).toBe(before);
    expect(wrong.lines).toHaveLength(2);
    expect(Object.keys(wrong)).toEqual(Object.keys(ocr));
    const v = plantWrongOutput("embedding", embedding, 7) as typeof embedding;
    expect(v.vectors[0]).toHaveLength(384);
  });

  it("plants a result even in an empty output", () => {
    expect(
      compareJobOutputs("ocr", { lines: [], width: 10, height: 10 }, plantWrongOutput("ocr", { lines: [], width: 10, height: 10 }, 1))
        .match,
    ).toBe(false);
    expect(
      compareJobOutputs(
        "vad",
        { segments: [], durationSec: 4, frames: 125 },
        plantWrongOutput("vad", { segments: [], durationSec: 4, frames: 125 }, 1),
      ).match,
    ).toBe(false);
  });
});
