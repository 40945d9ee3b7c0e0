import { describe, expect, it } from "vitest";
import { ctcCharset, ctcGreedyDecode } from "./ctc-decode.ts";
import { dbBoxes } from "./db-boxes.ts";
import { detInputSize } from "./det-input-size.ts";
import { sortReadingOrder } from "./reading-order.ts";

describe("detector input size (PaddleOCR DetResizeForTest)", () => {
  it.each([
    [640, 640, 640, 640],
    [1000, 170, 960, 160],
    [4096, 4096, 960, 960],
    [20, 30, 32, 32],
    [650, 100, 640, 96],
  ])("%i×%i → %i×%i", (w, h, dw, dh) => {
    expect(detInputSize(w, h)).toEqual({ width: dw, height: dh });
  });
});

describe("DB boxes", () => {
  const map = (w: number, h: number, rects: [number, number, number, number, number][]) => {
    const m = new Float32Array(w * h);
    for (const [x0, y0, x1, y1, p] of rects) for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) m[y * w + x] = p;
    return m;
  };

  it("finds one box per region, unclipped by area × 2 / perimeter", () => {
    const boxes = dbBoxes(map(100, 50, [[10, 10, 50, 20, 0.9]]), 100, 50);
    expect(boxes).toHaveLength(1);
    const d = (40 * 10 * 2) / (2 * 50); // 8
    expect(boxes[0]).toMatchObject({ x0: 10 - d, y0: 10 - d, x1: 50 + d, y1: 20 + d });
    expect(boxes[0]?.score).toBeCloseTo(0.9, 5);
  });

  it("drops faint regions (box score < 0.6) and specks (side < 3 px)", () => {
    const boxes = dbBoxes(
      map(100, 50, [
        [10, 10, 50, 20, 0.45],
        [60, 10, 62, 40, 0.99],
        [70, 30, 90, 45, 0.95],
      ]),
      100,
      50,
    );
    expect(boxes.map((b) => Math.round(b.score * 100))).toEqual([95]);
  });

  it("joins diagonal neighbours (8-connectivity)", () => {
    const m = map(20, 20, [
      [2, 2, 6, 6, 0.9],
      [6, 6, 10, 10, 0.9],
    ]);
    expect(dbBoxes(m, 20, 20, { binThreshold: 0.3, boxThreshold: 0.3, unclipRatio: 0, minSide: 3, maxCandidates: 10 })).toHaveLength(1);
  });
});

describe("reading order", () => {
  it("reads top to bottom, and left to right within 10 px", () => {
    const boxes = [
      { x0: 300, y0: 104, id: "c" },
      { x0: 10, y0: 100, id: "b" },
      { x0: 10, y0: 10, id: "a" },
      { x0: 10, y0: 200, id: "d" },
    ];
    expect(sortReadingOrder(boxes).map((b) => b.id)).toEqual(["a", "b", "c", "d"]);
  });
});

describe("CTC greedy decoding", () => {
  const charset = ctcCharset("a\nb\nc");
  it("has blank, the dictionary and a space", () => expect(charset).toEqual(["", "a", "b", "c", " "]));

  it("merges repeats, drops blanks, keeps a repeat split by a blank", () => {
    const steps = [1, 1, 0, 1, 2, 2, 4, 3]; // a a _ a b b ␠ c
    const probs = new Float32Array(steps.length * 5);
    steps.forEach((c, t) => {
      probs.fill(0.05, t * 5, t * 5 + 5);
      probs[t * 5 + c] = 0.8;
    });
    const { text, confidence } = ctcGreedyDecode(probs, steps.length, 5, charset);
    expect(text).toBe("aab c");
    expect(confidence).toBeCloseTo(0.8, 5);
  });
});
