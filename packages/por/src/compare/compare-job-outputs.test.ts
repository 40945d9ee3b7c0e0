import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareJobOutputs, JOB_OUTPUT_TOLERANCES, OUTPUT_KINDS, type OutputKind } from "./compare-job-outputs.ts";

const rect = (x0: number, y0: number, x1: number, y1: number): [number, number][] => [
  [x0, y0],
  [x1, y0],
  [x1, y1],
  [x0, y1],
];

const ocrOutput = {
  lines: [
    { text: "Invoice 2024-117", confidence: 0.9731, box: rect(10, 10, 200, 30) },
    { text: "Total: 42.00 EUR", confidence: 0.9902, box: rect(10, 40, 180, 60) },
  ],
  width: 640,
  height: 480,
};
const vadOutput = {
  segments: [
    { start: 0.738, end: 3.294 },
    { start: 5.442, end: 7.998 },
  ],
  durationSec: 8.832,
  frames: 276,
};
const embeddingOutput = {
  dim: 4,
  vectors: [
    [0.5, -1.25, 0.75, 2],
    [1, 0, -0.5, 0.25],
  ],
};
const OUTPUTS: Record<OutputKind, unknown> = { ocr: ocrOutput, vad: vadOutput, embedding: embeddingOutput };
const copy = <T>(value: T): T => structuredClone(value);

describe("compareJobOutputs", () => {
  it("matches each kind's output with an identical copy", () => {
    for (const kind of OUTPUT_KINDS) {
      expect(compareJobOutputs(kind, OUTPUTS[kind], copy(OUTPUTS[kind])), kind).toMatchObject({ match: true, reason: "ok" });
    }
  });

  it("OCR: normalised text must be identical and boxes within tolerance", () => {
    const spaced = copy(ocrOutput);
    spaced.lines[0]!.text = "  Invoice   2024-117 ";
    spaced.lines[1]!.box = rect(11, 41, 181, 61);
    expect(compareJobOutputs("ocr", ocrOutput, spaced).match).toBe(true);

    const changed = copy(ocrOutput);
    changed.lines[1]!.text = "Total: 42.00 EUP";
    expect(compareJobOutputs("ocr", ocrOutput, changed)).toMatchObject({
      match: false,
      reason: "text_mismatch",
      metrics: { textMismatches: 1 },
    });

    const moved = copy(ocrOutput);
    const far = JOB_OUTPUT_TOLERANCES.ocr.boxTolerancePx + 1;
    moved.lines[0]!.box = rect(10 + far, 10, 200 + far, 30);
    expect(compareJobOutputs("ocr", ocrOutput, moved).reason).toBe("box_out_of_tolerance");
    expect(compareJobOutputs("ocr", ocrOutput, { ...ocrOutput, lines: ocrOutput.lines.slice(1) }).reason).toBe("line_count_mismatch");
    expect(compareJobOutputs("ocr", ocrOutput, { ...ocrOutput, width: 641 }).reason).toBe("image_size_mismatch");
  });

  it("OCR: one line may drift (its box by a pixel, its confidence by more than the tolerance); more may not", () => {
    const { confidenceTolerance } = JOB_OUTPUT_TOLERANCES.ocr;
    const oneLine = copy(ocrOutput);
    oneLine.lines[0]!.confidence -= 2 * confidenceTolerance;
    expect(compareJobOutputs("ocr", ocrOutput, oneLine)).toMatchObject({
      match: true,
      metrics: { driftedLines: 1, allowedDriftedLines: 1 },
    });

    const withinRounding = copy(ocrOutput);
    for (const line of withinRounding.lines) line.confidence = Math.round((line.confidence + confidenceTolerance) * 10_000) / 10_000;
    expect(compareJobOutputs("ocr", ocrOutput, withinRounding)).toMatchObject({ match: true, metrics: { driftedLines: 0 } });

    const twoLines = copy(ocrOutput);
    twoLines.lines[0]!.confidence -= 2 * confidenceTolerance;
    twoLines.lines[1]!.box = rect(10, 41, 180, 61);
    expect(compareJobOutputs("ocr", ocrOutput, twoLines)).toMatchObject({
      match: false,
      reason: "lines_drifted",
      metrics: { driftedLines: 2 },
    });
  });

  it("VAD: boundaries within tolerance; a segment moved by one 32 ms window is caught", () => {
    const within = copy(vadOutput);
    within.segments[0]!.end += JOB_OUTPUT_TOLERANCES.vad.segmentToleranceSec / 2;
    expect(compareJobOutputs("vad", vadOutput, within).match).toBe(true);

    const window = copy(vadOutput);
    window.segments[1]!.start += 0.032;
    expect(compareJobOutputs("vad", vadOutput, window)).toMatchObject({ match: false, reason: "boundary_out_of_tolerance" });
    expect(compareJobOutputs("vad", vadOutput, { ...vadOutput, segments: vadOutput.segments.slice(0, 1) }).reason).toBe(
      "segment_count_mismatch",
    );
    expect(compareJobOutputs("vad", vadOutput, { ...vadOutput, durationSec: 9 }).reason).toBe("duration_mismatch");
  });

  it("embedding: each vector within atol/rtol and cosine; a different dim or count fails", () => {
    const { atol } = JOB_OUTPUT_TOLERANCES.embedding;
    const close = copy(embeddingOutput);
    close.vectors[0]![1]! += atol / 2;
    expect(compareJobOutputs("embedding", embeddingOutput, close).match).toBe(true);

    const off = copy(embeddingOutput);
    off.vectors[1]![0]! += 0.05;
    expect(compareJobOutputs("embedding", embeddingOutput, off)).toMatchObject({
      match: false,
      reason: "elementwise_out_of_tolerance",
      metrics: { mismatchedVectors: 1, firstMismatch: 1 },
    });
    expect(compareJobOutputs("embedding", embeddingOutput, { dim: 4, vectors: embeddingOutput.vectors.slice(1) }).reason).toBe(
      "count_mismatch",
    );
    expect(compareJobOutputs("embedding", embeddingOutput, { dim: 2, vectors: [[1, 2]] }).reason).toBe("dim_mismatch");
  });

  it("ignores fields it does not compare", () => {
    expect(compareJobOutputs("vad", vadOutput, { ...vadOutput, frames: 1, extra: "x" }).match).toBe(true);
  });

  it("refuses malformed worker outputs without throwing", () => {
    const cyclic: Record<string, unknown> = { dim: 4 };
    cyclic.vectors = [cyclic];
    const throwing = Object.defineProperty({ dim: 4 }, "vectors", {
      enumerable: true,
      get() {
        throw new Error("gotcha");
      },
    });
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error("proxy");
        },
        ownKeys() {
          throw new Error("proxy");
        },
      },
    );
    const malformed: [OutputKind, unknown][] = [
      ["embedding", null],
      ["embedding", cyclic],
      ["embedding", throwing],
      ["embedding", hostile],
      ["embedding", { dim: 4, vectors: [[1, 2, 3]] }],
      ["embedding", { dim: 4, vectors: [[1, 2, 3, Number.NaN]] }],
      ["embedding", { dim: 4, vectors: Array.from({ length: 1_025 }, () => [0, 0, 0, 0]) }],
      ["ocr", { ...ocrOutput, lines: [{ text: "a", box: [[0, Number.POSITIVE_INFINITY]] }] }],
      ["ocr", { ...ocrOutput, lines: [{ text: 7, box: rect(0, 0, 1, 1) }] }],
      ["ocr", { lines: [] }],
      ["vad", { segments: "0-1", durationSec: 2 }],
      ["vad", { segments: [{ start: 0 }], durationSec: 2 }],
      ["vad", { segments: [], durationSec: -1 }],
    ];
    malformed.forEach(([kind, actual], index) => {
      expect(compareJobOutputs(kind, OUTPUTS[kind], actual), `case ${index}`).toEqual({
        match: false,
        reason: "malformed_output",
        metrics: {},
      });
    });
  });

  it("blames a malformed expected output on the checker, and an unknown kind on the caller", () => {
    expect(compareJobOutputs("vad", { segments: [] }, vadOutput).reason).toBe("malformed_expected");
    expect(() => compareJobOutputs("audio" as OutputKind, vadOutput, vadOutput)).toThrow(RangeError);
    expect(() => compareJobOutputs("toString" as OutputKind, vadOutput, vadOutput)).toThrow(RangeError);
  });

  it("property: never throws on arbitrary values, and only an output of the right shape can match", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...OUTPUT_KINDS),
        fc.anything({ withNullPrototype: true, withTypedArray: true, withSparseArray: true }),
        (kind, actual) => {
          const result = compareJobOutputs(kind, OUTPUTS[kind], actual);
          expect(typeof result.match).toBe("boolean");
          if (result.match) expect(result.reason).toBe("ok");
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it("property: near-miss outputs (the real shape with random values) never throw", () => {
    const num = fc.oneof(fc.double(), fc.integer({ min: -5, max: 5 }));
    const nearMiss = {
      ocr: fc.record({
        lines: fc.array(fc.record({ text: fc.string(), confidence: num, box: fc.array(fc.tuple(num, num), { maxLength: 5 }) }), {
          maxLength: 4,
        }),
        width: num,
        height: num,
      }),
      vad: fc.record({ segments: fc.array(fc.record({ start: num, end: num }), { maxLength: 4 }), durationSec: num }),
      embedding: fc.record({ dim: num, vectors: fc.array(fc.array(num, { maxLength: 5 }), { maxLength: 3 }) }),
    };
    for (const kind of OUTPUT_KINDS) {
      fc.assert(
        fc.property(nearMiss[kind], (actual) => {
          expect(typeof compareJobOutputs(kind, OUTPUTS[kind], actual).match).toBe("boolean");
        }),
        { numRuns: 500 },
      );
    }
  });
});
