import { type ComparisonResult, MAX_COMPARE_ELEMENTS } from "./comparison-result.ts";

// VAD outputs are lists of speech segments in seconds. Silero scores 32 ms windows and the
// segmenter adds hysteresis and 30 ms padding, so a window whose probability sits near the
// threshold can move a boundary by a window or two on other hardware; it cannot add or drop
// a whole segment without the audio being different. Hence: same count, each boundary
// within a tolerance.

export interface SpeechSegmentLike {
  /** Seconds from the start of the audio. */
  start: number;
  end: number;
}

/** 0.1 s ≈ three 32 ms windows: room for a borderline window flipping, too tight for a guess. */
export const DEFAULT_SEGMENT_TOLERANCE_SEC = 0.1;

export type SpeechComparisonReason = "ok" | "too_large" | "invalid_segment" | "segment_count_mismatch" | "boundary_out_of_tolerance";

export interface SpeechComparisonMetrics {
  expectedSegments: number;
  actualSegments: number;
  /** Largest |Δstart| or |Δend| between paired segments, seconds (0 when counts differ). */
  maxBoundaryDeviationSec: number;
  /** Boundaries beyond tolerance. */
  boundariesOutOfTolerance: number;
  /** Total speech duration, seconds, for the audit trail. */
  expectedSpeechSec: number;
  actualSpeechSec: number;
}

/** Segments are paired in time order (both lists are sorted by start first). */
export function compareSpeechSegments(options: {
  expected: readonly SpeechSegmentLike[];
  actual: readonly SpeechSegmentLike[];
  toleranceSec?: number;
}): ComparisonResult<SpeechComparisonReason, SpeechComparisonMetrics> {
  const tolerance = options.toleranceSec ?? DEFAULT_SEGMENT_TOLERANCE_SEC;
  if (!(Number.isFinite(tolerance) && tolerance >= 0)) throw new RangeError(`toleranceSec must be finite and ≥ 0, got ${tolerance}`);
  const metrics: SpeechComparisonMetrics = {
    expectedSegments: options.expected.length,
    actualSegments: options.actual.length,
    maxBoundaryDeviationSec: 0,
    boundariesOutOfTolerance: 0,
    expectedSpeechSec: 0,
    actualSpeechSec: 0,
  };
  if (options.expected.length > MAX_COMPARE_ELEMENTS || options.actual.length > MAX_COMPARE_ELEMENTS)
    return { match: false, reason: "too_large", metrics };
  if (!options.expected.every(validSegment) || !options.actual.every(validSegment))
    return { match: false, reason: "invalid_segment", metrics };
  const byStart = (a: SpeechSegmentLike, b: SpeechSegmentLike) => a.start - b.start || a.end - b.end;
  const expected = [...options.expected].sort(byStart);
  const actual = [...options.actual].sort(byStart);
  metrics.expectedSpeechSec = expected.reduce((sum, s) => sum + (s.end - s.start), 0);
  metrics.actualSpeechSec = actual.reduce((sum, s) => sum + (s.end - s.start), 0);
  if (expected.length !== actual.length) return { match: false, reason: "segment_count_mismatch", metrics };
  expected.forEach((segment, index) => {
    const other = actual[index] as SpeechSegmentLike;
    for (const deviation of [Math.abs(segment.start - other.start), Math.abs(segment.end - other.end)]) {
      metrics.maxBoundaryDeviationSec = Math.max(metrics.maxBoundaryDeviationSec, deviation);
      if (deviation > tolerance) metrics.boundariesOutOfTolerance++;
    }
  });
  if (metrics.boundariesOutOfTolerance > 0) return { match: false, reason: "boundary_out_of_tolerance", metrics };
  return { match: true, reason: "ok", metrics };
}

function validSegment(segment: SpeechSegmentLike): boolean {
  return Number.isFinite(segment.start) && Number.isFinite(segment.end) && segment.start >= 0 && segment.end >= segment.start;
}
