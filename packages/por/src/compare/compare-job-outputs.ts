import { z } from "zod";
import type { ComparisonResult } from "./comparison-result.ts";
import { compareEmbeddings, type EmbeddingComparisonReason } from "./embeddings.ts";
import type { FloatTolerance } from "./float-tensors.ts";
import { boxDeviationPx, compareOcr, MAX_OCR_LINES, type OcrComparisonReason } from "./ocr.ts";
import { compareSpeechSegments, type SpeechComparisonReason } from "./speech-segments.ts";

// A checker holds its own output for a job (or a challenge) and the worker's, both as the
// job's JSON. This is the one entry point that says whether they agree: it checks the
// worker's output is the shape the model returns (a worker can send anything, so nothing
// here throws on it), then applies the kind's comparator with tolerances measured on real
// runs (bench/por-honest.ts). Only the fields a customer reads are compared; extra fields
// are ignored (the platform validates outputs strictly on submission).

export type OutputKind = "ocr" | "vad" | "embedding";
export const OUTPUT_KINDS: readonly OutputKind[] = ["ocr", "vad", "embedding"];

export interface JobOutputTolerances {
  ocr: {
    boxTolerancePx: number;
    /** A paired line "drifted" when its box moved at all (within boxTolerancePx) or its confidence moved by more than this. */
    confidenceTolerance: number;
    /** Drifted lines allowed: this share of the page's lines, and at least one. */
    driftedLineShare: number;
  };
  vad: { segmentToleranceSec: number; durationToleranceSec: number };
  embedding: FloatTolerance;
}

// Measured with bench/por-honest.ts (onnxruntime-node 1.30, CPU, a 2-core x86 machine):
//
// Honest workers: 6 configurations (intraOpNumThreads 1, 2, 4 × graphOptimizationLevel
// "disabled", "all"), every pair compared on the same challenges — 10,005 pairs (4,500 VAD,
// 4,500 encoder, 1,005 OCR on 300, 300 and 67 challenges): 0 false positives. Segments and
// vectors were bit-identical in every pair; OCR differed only in one confidence's 4th decimal
// (1e-4). On one CPU these settings barely touch onnxruntime's arithmetic, so what the
// tolerances must absorb — another CPU's or a GPU's rounding — is stood in for by a model
// whose every weight is × (1 ± 1e-5) (up to 84 float32 ulps, more than reordering a sum
// gives), which must match; a model whose weights are × (1 ± 1 %) must not. Both were run on
// 300 VAD, 300 encoder and 100 OCR challenges (tamperedPairs in the bench), and more while
// the tolerances were chosen.
//
// - embedding (elements up to ~2 in size, median 0.45): the 1e-5 stand-in moved an element by
//   at most 8.1e-5 (1 − cosine ≤ 2.5e-10, 300 jobs); the 1 % model by at least 0.050
//   (1 − cosine ≥ 2.2e-4) in every job, the 2-layer encoder by at least 0.90. atol 5e-3 +
//   rtol 1e-3 sits 60× above the first and 7× below the second; minCosine 0.99999 catches
//   the 1 % model on its own (22× margin) and is 40,000× the stand-in's. CUDA's TF32 matmuls
//   round their inputs to ~5e-4, like weights × (1 ± 1e-3), which moved elements by up to
//   6.5e-3: a GPU worker or checker must run with TF32 off (untested: no GPU here).
// - VAD: boundaries move in whole 32 ms windows, and the output carries nothing finer. The
//   stand-in moved none in 300 challenges, nor did weights × (1 ± 1e-3) (300, while choosing);
//   the 1 % model moved one boundary by a window, or split or merged a segment, in 30 of 300.
//   So the tolerance is half a window (any move is caught), and a 1 % cheat is caught on ~10 %
//   of VAD challenges: ~44 challenges for 99 %. por's default 0.1 s would let every one-window
//   move through and catch only the 2 changed segment counts.
// - OCR: text and boxes within 3 px caught only 25 of 300 1 % models (while choosing), and
//   the stand-in moved a box by 2 px on 1 page in 100, so boxes cannot be tightened. The
//   signal is how many lines moved at all: the recogniser's confidence (4 decimals) and the
//   box of a line. The stand-in drifted at most 1 line per page (confidence by 0.0011 once,
//   100 pages); the 1 % model drifted 3 or more on every page with the right text, and all
//   100 were caught (86 by drift, 10 by text, 4 by a box beyond 3 px). Weights × (1 ± 1e-4)
//   drifted more than 1 line on 0 of 300 pages (while choosing).
export const JOB_OUTPUT_TOLERANCES: Readonly<JobOutputTolerances> = {
  ocr: { boxTolerancePx: 3, confidenceTolerance: 0.001, driftedLineShare: 0.1 },
  vad: { segmentToleranceSec: 0.016, durationToleranceSec: 0.001 },
  embedding: { atol: 5e-3, rtol: 1e-3, minCosine: 0.99999 },
};

export type JobOutputReason =
  | "ok"
  /** The worker's output is not the shape the model returns (or is beyond a size bound). */
  | "malformed_output"
  /** The checker's own output is: a bug on the checker's side, never evidence against the worker. */
  | "malformed_expected"
  | "image_size_mismatch"
  /** More OCR lines drifted (box or confidence) than honest rounding moves. */
  | "lines_drifted"
  | "duration_mismatch"
  | "dim_mismatch"
  | OcrComparisonReason
  | SpeechComparisonReason
  | EmbeddingComparisonReason;

export interface JobOutputComparison extends ComparisonResult<JobOutputReason, Record<string, number>> {}

/** Bounds on what is parsed, beyond the built-in models' own limits (300 OCR lines, 32 texts of 384 dims). */
const MAX_OCR_TEXT_CHARS = 10_000;
const MAX_BOX_POINTS = 64;
/** Well above any real output: 600 s of audio holds at most 2,400 segments of the 250 ms minimum. */
const MAX_SPEECH_SEGMENTS = 100_000;
const MAX_EMBEDDING_VECTORS = 1_024;
const MAX_EMBEDDING_DIM = 8_192;

const ZPoint = z.tuple([z.number(), z.number()]);
const ZOcrJobOutput = z.object({
  lines: z
    .array(
      z.object({
        text: z.string().max(MAX_OCR_TEXT_CHARS),
        confidence: z.number().min(0).max(1),
        box: z.array(ZPoint).min(1).max(MAX_BOX_POINTS),
      }),
    )
    .max(MAX_OCR_LINES),
  width: z.number().int().nonnegative(),
  height: z.number().int().nonnegative(),
});
const ZVadJobOutput = z.object({
  segments: z.array(z.object({ start: z.number(), end: z.number() })).max(MAX_SPEECH_SEGMENTS),
  durationSec: z.number().nonnegative(),
});
const ZEmbeddingJobOutput = z
  .object({
    dim: z.number().int().positive().max(MAX_EMBEDDING_DIM),
    vectors: z.array(z.array(z.number()).max(MAX_EMBEDDING_DIM)).max(MAX_EMBEDDING_VECTORS),
  })
  .refine((output) => output.vectors.every((vector) => vector.length === output.dim), "every vector has `dim` elements");

type OcrJobOutput = z.infer<typeof ZOcrJobOutput>;
type VadJobOutput = z.infer<typeof ZVadJobOutput>;
type EmbeddingJobOutput = z.infer<typeof ZEmbeddingJobOutput>;

const SCHEMAS = { ocr: ZOcrJobOutput, vad: ZVadJobOutput, embedding: ZEmbeddingJobOutput } as const;

/**
 * Whether a worker's output (`actual`) agrees with the checker's (`expected`) for a model of
 * this kind. Never throws on `actual` (or `expected`): garbage, cycles, throwing getters and
 * oversized arrays all give `malformed_output` (`malformed_expected`). Throws RangeError only
 * for an unknown `kind`.
 */
export function compareJobOutputs(kind: OutputKind, expected: unknown, actual: unknown): JobOutputComparison {
  // The kind is the checker's own argument, not the worker's: an unknown one is a bug, said loudly.
  if (!Object.hasOwn(SCHEMAS, kind)) throw new RangeError(`unknown output kind ${String(kind)}`);
  const schema: z.ZodType = SCHEMAS[kind];
  const expectedOutput = safeParse(schema, expected);
  if (expectedOutput === undefined) return { match: false, reason: "malformed_expected", metrics: {} };
  const actualOutput = safeParse(schema, actual);
  if (actualOutput === undefined) return { match: false, reason: "malformed_output", metrics: {} };
  switch (kind) {
    case "ocr":
      return compareOcrOutputs(expectedOutput as OcrJobOutput, actualOutput as OcrJobOutput);
    case "vad":
      return compareVadOutputs(expectedOutput as VadJobOutput, actualOutput as VadJobOutput);
    case "embedding":
      return compareEmbeddingOutputs(expectedOutput as EmbeddingJobOutput, actualOutput as EmbeddingJobOutput);
  }
}

/** The parsed value, or undefined when it does not fit; a value that throws while being read (a getter, a Proxy) does not fit. */
function safeParse(schema: z.ZodType, value: unknown): unknown {
  try {
    const parsed = schema.safeParse(value);
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function compareOcrOutputs(expected: OcrJobOutput, actual: OcrJobOutput): JobOutputComparison {
  if (expected.width !== actual.width || expected.height !== actual.height) {
    const metrics = {
      expectedWidth: expected.width,
      expectedHeight: expected.height,
      actualWidth: actual.width,
      actualHeight: actual.height,
    };
    return { match: false, reason: "image_size_mismatch", metrics };
  }
  const tolerance = JOB_OUTPUT_TOLERANCES.ocr;
  const result = compareOcr({ expected: expected.lines, actual: actual.lines, boxTolerancePx: tolerance.boxTolerancePx });
  if (!result.match) return { match: result.match, reason: result.reason, metrics: { ...result.metrics } };
  const drift = ocrDrift(expected.lines, actual.lines, tolerance.confidenceTolerance);
  const allowed = Math.max(1, Math.floor(tolerance.driftedLineShare * expected.lines.length));
  const metrics = { ...result.metrics, ...drift, allowedDriftedLines: allowed };
  if (drift.driftedLines > allowed) return { match: false, reason: "lines_drifted", metrics };
  return { match: true, reason: "ok", metrics };
}

type OcrJobLine = OcrJobOutput["lines"][number];

/**
 * Lines whose box moved by any pixel or whose confidence moved by more than the tolerance,
 * pairing each expected line with its nearest unpaired actual line (as compareOcr does).
 * Only called once compareOcr has paired every line within tolerance.
 */
function ocrDrift(
  expected: readonly OcrJobLine[],
  actual: readonly OcrJobLine[],
  confidenceTolerance: number,
): { driftedLines: number; maxConfidenceDeviation: number } {
  const paired = new Array<boolean>(actual.length).fill(false);
  let driftedLines = 0;
  let maxConfidenceDeviation = 0;
  for (const line of expected) {
    let best = -1;
    let bestDeviation = Number.POSITIVE_INFINITY;
    actual.forEach((candidate, index) => {
      const deviation = paired[index] ? Number.POSITIVE_INFINITY : boxDeviationPx(line.box, candidate.box);
      if (deviation < bestDeviation) {
        best = index;
        bestDeviation = deviation;
      }
    });
    const match = actual[best];
    if (!match) continue;
    paired[best] = true;
    const confidenceDeviation = Math.abs(line.confidence - match.confidence);
    maxConfidenceDeviation = Math.max(maxConfidenceDeviation, confidenceDeviation);
    // Confidences are rounded to 4 decimals: their differences are multiples of 1e-4 up to binary representation error.
    if (bestDeviation > 0 || confidenceDeviation > confidenceTolerance + 1e-9) driftedLines++;
  }
  return { driftedLines, maxConfidenceDeviation };
}

function compareVadOutputs(expected: VadJobOutput, actual: VadJobOutput): JobOutputComparison {
  const { segmentToleranceSec, durationToleranceSec } = JOB_OUTPUT_TOLERANCES.vad;
  const durationDeviationSec = Math.abs(expected.durationSec - actual.durationSec);
  // A different duration means different audio: the segments would not be worth comparing.
  if (!(durationDeviationSec <= durationToleranceSec)) {
    return { match: false, reason: "duration_mismatch", metrics: { expectedDurationSec: expected.durationSec, durationDeviationSec } };
  }
  const result = compareSpeechSegments({ expected: expected.segments, actual: actual.segments, toleranceSec: segmentToleranceSec });
  return { match: result.match, reason: result.reason, metrics: { ...result.metrics } };
}

function compareEmbeddingOutputs(expected: EmbeddingJobOutput, actual: EmbeddingJobOutput): JobOutputComparison {
  if (expected.dim !== actual.dim)
    return { match: false, reason: "dim_mismatch", metrics: { expectedDim: expected.dim, actualDim: actual.dim } };
  const result = compareEmbeddings({ expected: expected.vectors, actual: actual.vectors, tolerance: JOB_OUTPUT_TOLERANCES.embedding });
  return { match: result.match, reason: result.reason, metrics: { ...result.metrics } };
}
