import { describe, expect, it } from "vitest";
import { speechSegments } from "./speech-segments.ts";

const W = 512;
const SR = 16_000;
/** Probabilities per 32 ms window from runs of [windows, p]. */
const probs = (...runs: [number, number][]) => runs.flatMap(([n, p]) => Array<number>(n).fill(p));
const windowsFor = (sec: number) => Math.round((sec * SR) / W);

describe("speech segments (silero get_speech_timestamps)", () => {
  it("pads a segment by 30 ms on each side", () => {
    const p = probs([windowsFor(1), 0.01], [windowsFor(1), 0.9], [windowsFor(1), 0.01]);
    const [s, ...rest] = speechSegments(p, p.length * W);
    expect(rest).toEqual([]);
    expect(s?.start).toBeCloseTo((windowsFor(1) * W) / SR - 0.03, 3);
    expect(s?.end).toBeCloseTo((2 * windowsFor(1) * W) / SR + 0.03, 3);
  });

  it("does not end speech on a dip that stays above 0.35, nor on silence shorter than 100 ms", () => {
    const p = probs([10, 0.01], [20, 0.9], [10, 0.4], [20, 0.9], [2, 0.1], [20, 0.9], [20, 0.01]);
    expect(speechSegments(p, p.length * W)).toHaveLength(1);
  });

  it("ends speech after 100 ms below 0.35, and drops segments of 250 ms or less", () => {
    const p = probs([10, 0.01], [20, 0.9], [5, 0.1], [20, 0.9], [20, 0.01], [7, 0.9], [20, 0.01]);
    expect(speechSegments(p, p.length * W)).toHaveLength(2);
  });

  it("keeps speech running to the end of the audio", () => {
    const p = probs([10, 0.01], [20, 0.9]);
    expect(speechSegments(p, p.length * W).at(-1)?.end).toBeCloseTo((30 * W) / SR, 3);
  });

  it("finds nothing in silence", () => {
    expect(speechSegments(probs([300, 0.02]), 300 * W)).toEqual([]);
  });
});
