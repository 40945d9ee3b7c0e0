import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareSpeechSegments } from "./speech-segments.ts";

const segments = [
  { start: 0.5, end: 1.8 },
  { start: 2.4, end: 3.1 },
];

describe("compareSpeechSegments", () => {
  it("matches when every boundary is within tolerance", () => {
    const actual = [
      { start: 0.532, end: 1.77 },
      { start: 2.4, end: 3.164 },
    ];
    const result = compareSpeechSegments({ expected: segments, actual });
    expect(result).toMatchObject({ match: true, reason: "ok" });
    expect(result.metrics.maxBoundaryDeviationSec).toBeCloseTo(0.064, 9);
  });

  it("fails on a moved boundary, a missing segment, or an invalid segment", () => {
    expect(compareSpeechSegments({ expected: segments, actual: [segments[0], { start: 2.4, end: 3.5 }] as typeof segments })).toMatchObject(
      {
        match: false,
        reason: "boundary_out_of_tolerance",
        metrics: { boundariesOutOfTolerance: 1 },
      },
    );
    expect(compareSpeechSegments({ expected: segments, actual: segments.slice(1) }).reason).toBe("segment_count_mismatch");
    expect(compareSpeechSegments({ expected: segments, actual: [{ start: 2, end: 1 }, segments[1]] as typeof segments }).reason).toBe(
      "invalid_segment",
    );
    expect(compareSpeechSegments({ expected: [], actual: [] }).match).toBe(true);
  });

  it("compares in time order whatever the list order", () => {
    expect(compareSpeechSegments({ expected: segments, actual: [...segments].reverse() }).match).toBe(true);
  });

  it("property: shifting every boundary by at most the tolerance matches; by more, fails", () => {
    const arbitrarySegments = fc.array(fc.integer({ min: 300, max: 5_000 }), { minLength: 1, maxLength: 10 }).map((gapsMs) => {
      let t = 0;
      return gapsMs.map((gap) => {
        t += gap;
        const start = t / 1000;
        t += gap;
        const end = t / 1000;
        return { start, end };
      });
    });
    fc.assert(
      fc.property(arbitrarySegments, fc.double({ min: -1, max: 1, noNaN: true }), fc.nat(), (expected, fraction, at) => {
        const tolerance = 0.1;
        const within = expected.map((s) => ({ start: s.start + fraction * tolerance * 0.99, end: s.end - fraction * tolerance * 0.99 }));
        expect(compareSpeechSegments({ expected, actual: within, toleranceSec: tolerance }).match).toBe(true);
        const beyond = expected.map((s, i) => (i === at % expected.length ? { start: s.start, end: s.end + tolerance * 1.5 } : s));
        expect(compareSpeechSegments({ expected, actual: beyond, toleranceSec: tolerance }).reason).toBe("boundary_out_of_tolerance");
      }),
    );
  });
});
