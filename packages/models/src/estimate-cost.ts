/**
 * What a job costs, from facts known at submit (pure: the web app prices jobs with it).
 *
 * 1 CU = 1 s of compute on the reference machine: this project's 2-core x86-64 machines,
 * onnxruntime-node 1.30 on CPU, intraOpNumThreads 2, graphOptimizationLevel "all". Costs
 * are integer milli-CU, i.e. the milliseconds `pipeline.run()` takes there (pre- and
 * post-processing included, since a worker spends that time too).
 */
import { ModelInputError } from "./model-input-error.ts";
import type { ModelSlug } from "./model-schemas.ts";
import { detInputSize } from "./ocr/det-input-size.ts";

/** What a job's cost depends on, measured without decoding pixels or samples. */
export type InputFacts =
  | { kind: "ocr"; width: number; height: number }
  | { kind: "vad"; seconds: number }
  /** tokens: the sum over texts of the ids fed to the model ([CLS] + pieces + [SEP], at most 128 each). */
  | { kind: "embedding"; items: number; chars: number; tokens: number };

/**
 * Fitted by calibrateCostModel() (calibrate-cost-model.ts) on the reference machine, from
 * medians of pipeline.run() timed only while other processes left the CPU alone:
 *
 * | input                                   | measured ms | this model |
 * |-----------------------------------------|------------:|-----------:|
 * | OCR blank 320×320 / 640×640 / 960×960    | 41 / 142 / 336 | 41 / 156 / 349 |
 * | OCR blank 1920×1920 / 4096×4096          | 385 / 484  | 379 / 523 |
 * | OCR reference page 640×640, 10 lines     | 512        | 525 |
 * | VAD 1 s / 10 s / 60 s                    | 11 / 102 / 564 | 15 / 98 / 563 |
 * | encoder 1 text of 4 / 16 / 128 ids       | 4.3 / 7.1 / 28.0 | 4.6 / 6.8 / 27.9 |
 * | encoder 32 texts × 11 ids                | 162        | 188 |
 */
export const COST_MODEL = {
  ocr: {
    /** Session and call overhead per job. */
    fixedMs: 2,
    /** Detector, resizing and DB post-processing per pixel of the detector's input (≤ 960 px side): 0.365 µs. */
    detMsPerPixel: 0.000_365,
    /** Decoding and downscaling per pixel of the original image (only matters past 960 px): 11 ns. */
    decodeMsPerPixel: 0.000_011,
    /**
     * Recognition per pixel of the detector's input. How many lines a page holds is not
     * known before detection, so it is priced at the density of the reference page (ten
     * lines of 28 px text on 640×640: 374 ms of recognition). A page of large text costs
     * less than priced, a dense page more.
     */
    recMsPerPixel: 0.000_9,
  },
  /** A 32 ms window costs ~0.3 ms: the session run (~0.2 ms) plus its tensors. */
  vad: { fixedMs: 5, msPerSecond: 9.3 },
  /** Per text, and per id fed to the model ([CLS] … [SEP], at most 128 per text). */
  embedding: { msPerItem: 3.8, msPerToken: 0.188 },
} as const;

export function estimateCostMilliCu(slug: ModelSlug | string, facts: InputFacts): number {
  let ms: number | undefined;
  if (slug === "ocr-ppocr-v4" && facts.kind === "ocr") {
    const det = detInputSize(facts.width, facts.height);
    const pixels = det.width * det.height;
    const c = COST_MODEL.ocr;
    ms = c.fixedMs + pixels * (c.detMsPerPixel + c.recMsPerPixel) + facts.width * facts.height * c.decodeMsPerPixel;
  } else if (slug === "vad-silero-v5" && facts.kind === "vad") {
    ms = COST_MODEL.vad.fixedMs + facts.seconds * COST_MODEL.vad.msPerSecond;
  } else if (slug === "encoder-synthetic-minilm" && facts.kind === "embedding") {
    ms = facts.items * COST_MODEL.embedding.msPerItem + facts.tokens * COST_MODEL.embedding.msPerToken;
  }
  if (ms === undefined) throw new ModelInputError(`facts of kind ${facts.kind} do not fit model ${slug}`);
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`cost of ${slug} is not a finite non-negative number: ${ms}`);
  // At least 1 milli-CU: a job is never free.
  return Math.max(1, Math.ceil(ms));
}
