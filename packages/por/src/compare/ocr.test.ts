import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type OcrLineLike, boxDeviationPx, compareOcr, normalizeOcrText } from "./ocr.ts";

const rect = (x0: number, y0: number, x1: number, y1: number): OcrLineLike["box"] => [
  [x0, y0],
  [x1, y0],
  [x1, y1],
  [x0, y1],
];
const page: OcrLineLike[] = [
  { text: "Invoice 2024-117", box: rect(10, 10, 200, 30) },
  { text: "Total: 42.00 EUR", box: rect(10, 40, 180, 60) },
];

describe("normalizeOcrText", () => {
  it("applies NFKC, trims and collapses whitespace", () => {
    expect(normalizeOcrText("  Ｔｏｔａｌ：\t４２\n\u00a0EUR  ")).toBe("Total: 42 EUR");
    expect(normalizeOcrText("ﬁle")).toBe("file");
  });

  it("property: is idempotent", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (s) => {
        expect(normalizeOcrText(normalizeOcrText(s))).toBe(normalizeOcrText(s));
      }),
    );
  });
});

describe("compareOcr", () => {
  it("matches the same page with boxes shifted within tolerance and cosmetic whitespace", () => {
    const actual = [
      { text: "Invoice  2024-117 ", box: rect(11, 9, 202, 31) },
      { text: "Total: 42.00 EUR", box: rect(10, 40, 180, 60) },
    ];
    expect(compareOcr({ expected: page, actual })).toMatchObject({
      match: true,
      reason: "ok",
      metrics: { pairedLines: 2, maxBoxDeviationPx: 2 },
    });
  });

  it("pairs lines by position, not by list order", () => {
    expect(compareOcr({ expected: page, actual: [page[1], page[0]] as OcrLineLike[] }).match).toBe(true);
  });

  it("fails on a changed character, a moved box, or a missing line", () => {
    const changed = [{ ...page[0], text: "Invoice 2024-118" }, page[1]] as OcrLineLike[];
    expect(compareOcr({ expected: page, actual: changed })).toMatchObject({
      match: false,
      reason: "text_mismatch",
      metrics: { textMismatches: 1 },
    });
    const moved = [{ ...page[0], box: rect(10, 20, 200, 40) }, page[1]] as OcrLineLike[];
    expect(compareOcr({ expected: page, actual: moved }).reason).toBe("box_out_of_tolerance");
    expect(compareOcr({ expected: page, actual: page.slice(0, 1) }).reason).toBe("line_count_mismatch");
    expect(compareOcr({ expected: page, actual: [...page, { text: "x", box: rect(0, 90, 5, 95) }] }).reason).toBe("line_count_mismatch");
  });

  it("refuses malformed boxes", () => {
    const bad = [{ text: "a", box: [[0, Number.NaN]] as OcrLineLike["box"] }];
    expect(compareOcr({ expected: bad, actual: bad }).reason).toBe("invalid_box");
    expect(boxDeviationPx(rect(0, 0, 1, 1), [[0, 0]])).toBe(Number.POSITIVE_INFINITY);
  });

  it("property: any page matches itself shuffled and jittered within tolerance", () => {
    const line = fc.record({
      text: fc.string({ maxLength: 20 }),
      x: fc.integer({ min: 0, max: 2_000 }),
      y: fc.integer({ min: 0, max: 2_000 }),
      w: fc.integer({ min: 20, max: 400 }),
      h: fc.integer({ min: 10, max: 40 }),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(line, { maxLength: 20, selector: (l) => `${Math.floor(l.x / 10)},${Math.floor(l.y / 10)}` }),
        fc.array(fc.integer({ min: -1, max: 1 }), { minLength: 8, maxLength: 8 }),
        (lines, jitter) => {
          const expected = lines.map((l) => ({ text: l.text, box: rect(l.x, l.y, l.x + l.w, l.y + l.h) }));
          const actual = [...lines].reverse().map((l) => ({
            text: ` ${l.text} `,
            box: rect(l.x + (jitter[0] ?? 0), l.y + (jitter[1] ?? 0), l.x + l.w + (jitter[2] ?? 0), l.y + l.h + (jitter[3] ?? 0)),
          }));
          expect(compareOcr({ expected, actual, boxTolerancePx: 1 }).match).toBe(true);
        },
      ),
    );
  });
});
