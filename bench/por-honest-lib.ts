/**
 * The measurement behind por's JOB_OUTPUT_TOLERANCES: honest workers that differ only in
 * their onnxruntime settings must never be told apart, and dishonest ones must be. Each
 * challenge input (por's generateChallenge, rendered by challengeInput) runs under every
 * honest configuration and every pair of outputs is compared with compareJobOutputs; then
 * tampered models (perturbedModelFiles, cheaperModelFiles) run on the first inputs and are
 * compared with the honest reference. Real onnxruntime inference throughout.
 *
 * Used by bench/por-honest.ts (the full run) and packages/models/src/honest-pairs.test.ts
 * (a small one).
 */
import { compareJobOutputs, type JobOutputComparison, normalizeOcrText, type OutputKind } from "@proofgrid/por";
import { challengeInput } from "@proofgrid/models/challenge-input";
import type { ModelFiles } from "@proofgrid/models/model-files";
import type { ModelSlug } from "@proofgrid/models/model-schemas";
import { createPipeline, createPipelineFromFiles } from "@proofgrid/models/runtime/create-pipeline";
import type { Pipeline } from "@proofgrid/models/runtime/pipeline";
import type { SessionOptions } from "@proofgrid/models/runtime/session";
import { cheaperModelFiles, perturbedModelFiles } from "@proofgrid/models/tampered-models";

/** Honest workers: thread counts 1, 2 (the reference machine's) and 4, optimisation off and on. */
export const HONEST_CONFIGS: readonly Required<Pick<SessionOptions, "intraOpNumThreads" | "graphOptimizationLevel">>[] = [1, 2, 4].flatMap(
  (intraOpNumThreads) => (["disabled", "all"] as const).map((graphOptimizationLevel) => ({ intraOpNumThreads, graphOptimizationLevel })),
);
/** The checker's settings when a tampered model's output is compared: the reference machine's. */
const REFERENCE_CONFIG = { intraOpNumThreads: 2, graphOptimizationLevel: "all" } as const;
const PAIRS_PER_INPUT = (HONEST_CONFIGS.length * (HONEST_CONFIGS.length - 1)) / 2;

export const SLUG_FOR_KIND: Readonly<Record<OutputKind, ModelSlug>> = {
  ocr: "ocr-ppocr-v4",
  vad: "vad-silero-v5",
  embedding: "encoder-synthetic-minilm",
};
const KINDS: readonly OutputKind[] = ["vad", "embedding", "ocr"];
/** OCR costs ~6× a VAD or encoder challenge per run: a tenth of the pairs. */
export const HONEST_PAIR_SHARE: Readonly<Record<OutputKind, number>> = { vad: 0.45, embedding: 0.45, ocr: 0.1 };
/** VAD gets the most: its detection rate (~10 %) is the one that needs the sample to be estimated at all. */
export const DEFAULT_TAMPERED_PAIRS: Readonly<Record<OutputKind, number>> = { vad: 200, embedding: 100, ocr: 50 };

export interface TamperedVariant {
  name: string;
  description: string;
  /** True for a stand-in for honest noise (it must match), false for a cheat (it must be caught). */
  honest: boolean;
  files(slug: ModelSlug): Promise<ModelFiles | null>;
}

export const TAMPERED_VARIANTS: readonly TamperedVariant[] = [
  {
    name: "noise-1e-5",
    description: "every weight × (1 ± 1e-5), up to 84 float32 ulps: a stand-in for another machine's rounding (must match)",
    honest: true,
    files: (slug) => perturbedModelFiles(slug, { relative: 1e-5, seed: "por-honest-noise" }),
  },
  {
    name: "perturbed-1pct",
    description: "every weight × (1 ± 1 %): a model that is not the one advertised (must be caught)",
    honest: false,
    files: (slug) => perturbedModelFiles(slug, { relative: 0.01, seed: "por-honest-perturbed" }),
  },
  {
    name: "cheaper",
    description: "a cheaper model passed off as the real one: the encoder with 2 of its 6 layers (must be caught)",
    honest: false,
    files: (slug) => cheaperModelFiles(slug),
  },
];

/** Per-kind metrics that measure how far apart two outputs are, and which way is "further". */
const DEVIATION_METRICS: Readonly<Record<OutputKind, readonly { name: string; worst: "max" | "min" }[]>> = {
  embedding: [
    { name: "maxAbsDiff", worst: "max" },
    { name: "minCosine", worst: "min" },
  ],
  vad: [{ name: "maxBoundaryDeviationSec", worst: "max" }],
  ocr: [
    { name: "maxBoxDeviationPx", worst: "max" },
    { name: "maxConfidenceDeviation", worst: "max" },
    { name: "driftedLines", worst: "max" },
    { name: "textMismatches", worst: "max" },
  ],
};

export interface PairStats {
  pairs: number;
  /** Pairs compareJobOutputs said disagree (honest: false positives; cheats: caught). */
  mismatches: number;
  reasons: Record<string, number>;
  /** Largest and smallest value of each metric over the pairs. */
  max: Record<string, number>;
  min: Record<string, number>;
}

export interface VariantStats extends PairStats {
  variant: string;
  description: string;
  honestVariant: boolean;
  kind: OutputKind;
}

export interface HonestPairsReport {
  configs: typeof HONEST_CONFIGS;
  honest: Record<OutputKind, PairStats & { inputs: number }>;
  variants: VariantStats[];
  /** The reference run against the challenge's own ground truth. */
  groundTruth: { ocrLines: number; ocrLinesExact: number; vadChallenges: number; vadChallengesFound: number };
  elapsedMs: number;
}

export interface HonestPairsProgress {
  phase: "honest" | "tampered";
  /** Compared pairs so far in this phase, and in all of it. */
  done: number;
  total: number;
}

export interface HonestPairsOptions {
  /** Honest pairs to compare in all, split by HONEST_PAIR_SHARE (rounded up to whole inputs). */
  pairs: number;
  /** Pairs per kind for each tampered variant (default DEFAULT_TAMPERED_PAIRS). */
  tamperedPairs?: Partial<Record<OutputKind, number>>;
  /** Distinguishes runs; challenge seeds are `honest-<i>-<seedTag>`. */
  seedTag?: string;
  onProgress?: (progress: HonestPairsProgress) => void;
}

/** A bound on the run: 10,000 honest pairs took 25 min on 2 shared cores; a million would take days. */
const MAX_PAIRS = 1_000_000;

export async function runHonestPairs(options: HonestPairsOptions): Promise<HonestPairsReport> {
  const t0 = performance.now();
  if (!(Number.isInteger(options.pairs) && options.pairs >= 1 && options.pairs <= MAX_PAIRS)) {
    throw new RangeError(`pairs must be an integer from 1 to ${MAX_PAIRS}, got ${options.pairs}`);
  }
  const seedTag = options.seedTag ?? "proofgrid-por-bench";
  const seed = (i: number) => `honest-${i}-${seedTag}`;
  const inputsPerKind = Object.fromEntries(
    KINDS.map((kind) => [kind, Math.max(1, Math.ceil((options.pairs * HONEST_PAIR_SHARE[kind]) / PAIRS_PER_INPUT))]),
  ) as Record<OutputKind, number>;
  const tamperedPairs = { ...DEFAULT_TAMPERED_PAIRS, ...options.tamperedPairs };
  for (const [kind, count] of Object.entries(tamperedPairs)) {
    if (!(Number.isInteger(count) && count >= 0 && count <= MAX_PAIRS)) {
      throw new RangeError(`tamperedPairs.${kind} must be an integer from 0 to ${MAX_PAIRS}, got ${count}`);
    }
  }
  const groundTruth = { ocrLines: 0, ocrLinesExact: 0, vadChallenges: 0, vadChallengesFound: 0 };

  // Phase 1: every honest configuration on every input; every pair of outputs compared. One
  // stream: on the 2-core development machine two in parallel were slower (VAD 1,320 against
  // 687 ms per input over 4 configurations) — the 4-thread sessions already fill the cores.
  const honest = Object.fromEntries(
    KINDS.map((kind) => [kind, { ...emptyStats(), inputs: inputsPerKind[kind] }]),
  ) as HonestPairsReport["honest"];
  /** The reference configuration's outputs, kept for the inputs phase 2 reuses. */
  const references = new Map<string, unknown>();
  const honestTotal = KINDS.reduce((sum, kind) => sum + inputsPerKind[kind] * PAIRS_PER_INPUT, 0);
  let done = 0;
  await withPipelines(async (pipelineFor) => {
    for (const { kind, index } of interleave(inputsPerKind)) {
      const slug = SLUG_FOR_KIND[kind];
      const { input, challenge } = await challengeInput(slug, seed(index));
      const outputs: unknown[] = [];
      for (const config of HONEST_CONFIGS) outputs.push(await (await pipelineFor(slug, config)).run(input as never));
      for (let a = 0; a < outputs.length; a++) {
        for (let b = a + 1; b < outputs.length; b++) record(honest[kind], kind, compareJobOutputs(kind, outputs[a], outputs[b]));
      }
      const reference = outputs[HONEST_CONFIGS.findIndex((c) => sameConfig(c, REFERENCE_CONFIG))];
      if (index < tamperedPairs[kind]) references.set(`${kind}:${index}`, reference);
      scoreGroundTruth(groundTruth, challenge, reference);
      done += PAIRS_PER_INPUT;
      options.onProgress?.({ phase: "honest", done, total: honestTotal });
    }
  });

  // Phase 2: tampered models on the first inputs, against the honest reference output.
  const variants: VariantStats[] = [];
  const jobs: { variant: TamperedVariant; kind: OutputKind; files: ModelFiles; stats: VariantStats }[] = [];
  for (const variant of TAMPERED_VARIANTS) {
    for (const kind of KINDS) {
      const files = await variant.files(SLUG_FOR_KIND[kind]);
      if (!files || tamperedPairs[kind] < 1) continue;
      const stats: VariantStats = {
        ...emptyStats(),
        variant: variant.name,
        description: variant.description,
        honestVariant: variant.honest,
        kind,
      };
      variants.push(stats);
      jobs.push({ variant, kind, files, stats });
    }
  }
  const tamperedTotal = jobs.reduce((sum, job) => sum + tamperedPairs[job.kind], 0);
  done = 0;
  await withPipelines(async (pipelineFor) => {
    for (const job of jobs) {
      const slug = SLUG_FOR_KIND[job.kind];
      const tampered = await createPipelineFromFiles(slug, job.files, REFERENCE_CONFIG);
      try {
        for (let index = 0; index < tamperedPairs[job.kind]; index++) {
          const { input } = await challengeInput(slug, seed(index));
          const key = `${job.kind}:${index}`;
          let reference = references.get(key);
          if (reference === undefined) {
            reference = await (await pipelineFor(slug, REFERENCE_CONFIG)).run(input as never);
            references.set(key, reference);
          }
          record(job.stats, job.kind, compareJobOutputs(job.kind, reference, await tampered.run(input as never)));
          options.onProgress?.({ phase: "tampered", done: ++done, total: tamperedTotal });
        }
      } finally {
        await tampered.dispose();
      }
    }
  });
  return { configs: HONEST_CONFIGS, honest, variants, groundTruth, elapsedMs: performance.now() - t0 };
}

function emptyStats(): PairStats {
  return { pairs: 0, mismatches: 0, reasons: {}, max: {}, min: {} };
}

function record(stats: PairStats, kind: OutputKind, result: JobOutputComparison): void {
  stats.pairs++;
  if (!result.match) stats.mismatches++;
  stats.reasons[result.reason] = (stats.reasons[result.reason] ?? 0) + 1;
  for (const { name } of DEVIATION_METRICS[kind]) {
    const value = result.metrics[name];
    if (value === undefined) continue;
    stats.max[name] = Math.max(stats.max[name] ?? Number.NEGATIVE_INFINITY, value);
    stats.min[name] = Math.min(stats.min[name] ?? Number.POSITIVE_INFINITY, value);
  }
}

/** The worst value of each deviation metric over the pairs: what the tolerances must absorb (honest) or flag (cheats). */
export function worstDeviation(kind: OutputKind, stats: PairStats): Record<string, number> {
  return Object.fromEntries(
    DEVIATION_METRICS[kind].flatMap(({ name, worst }) => {
      const value = worst === "max" ? stats.max[name] : stats.min[name];
      return value === undefined ? [] : [[name, value]];
    }),
  );
}

/** The smallest deviation a cheat produced: how close to honest the best-hidden cheat came. */
export function leastDeviation(kind: OutputKind, stats: PairStats): Record<string, number> {
  return Object.fromEntries(
    DEVIATION_METRICS[kind].flatMap(({ name, worst }) => {
      const value = worst === "max" ? stats.min[name] : stats.max[name];
      return value === undefined ? [] : [[name, value]];
    }),
  );
}

/** Inputs of all kinds spread evenly over the run, so progress (and its ETA) moves at a steady rate. */
function interleave(counts: Record<OutputKind, number>): { kind: OutputKind; index: number }[] {
  const items = KINDS.flatMap((kind) =>
    Array.from({ length: counts[kind] }, (_, index) => ({ kind, index, at: (index + 0.5) / counts[kind] })),
  );
  return items.sort((a, b) => a.at - b.at).map(({ kind, index }) => ({ kind, index }));
}

function sameConfig(a: SessionOptions, b: SessionOptions): boolean {
  return a.intraOpNumThreads === b.intraOpNumThreads && a.graphOptimizationLevel === b.graphOptimizationLevel;
}

type PipelineFor = (slug: ModelSlug, config: SessionOptions) => Promise<Pipeline>;

/** Pipelines created on first use and all disposed at the end (each honest encoder holds ~90 MB of weights). */
async function withPipelines(body: (pipelineFor: PipelineFor) => Promise<void>): Promise<void> {
  const pipelines = new Map<string, Promise<Pipeline>>();
  const pipelineFor: PipelineFor = (slug, config) => {
    const key = `${slug}/${config.intraOpNumThreads}/${config.graphOptimizationLevel}`;
    let pipeline = pipelines.get(key);
    if (!pipeline) {
      pipeline = createPipeline(slug, config);
      pipelines.set(key, pipeline);
    }
    return pipeline;
  };
  try {
    await body(pipelineFor);
  } finally {
    for (const pipeline of pipelines.values()) await (await pipeline.catch(() => undefined))?.dispose();
  }
}

/** OCR: lines read exactly as rendered; VAD: each placed copy found within 0.25 s at both ends. */
function scoreGroundTruth(
  truth: HonestPairsReport["groundTruth"],
  challenge: Awaited<ReturnType<typeof challengeInput>>["challenge"],
  output: unknown,
): void {
  if (challenge.kind === "ocr") {
    const lines = (output as { lines: { text: string }[] }).lines;
    truth.ocrLines += challenge.lines.length;
    truth.ocrLinesExact += challenge.lines.filter((line, i) => normalizeOcrText(lines[i]?.text ?? "") === normalizeOcrText(line)).length;
  } else if (challenge.kind === "vad") {
    const segments = (output as { segments: { start: number; end: number }[] }).segments;
    const near = (a: number, b: number | undefined) => b !== undefined && Math.abs(a - b) < 0.25;
    truth.vadChallenges++;
    if (
      segments.length === challenge.expectedSpeech.length &&
      challenge.expectedSpeech.every((s, i) => near(s.start, segments[i]?.start) && near(s.end, segments[i]?.end))
    ) {
      truth.vadChallengesFound++;
    }
  }
}
