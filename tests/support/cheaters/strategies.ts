import { createHash } from "node:crypto";
import { cheaperModelFiles, perturbedModelFiles } from "@proofgrid/models/tampered-models";
import type { Pipeline } from "@proofgrid/models";
import { createPipelineFromFiles } from "@proofgrid/models/runtime/create-pipeline";
import type { ModelSlug } from "@proofgrid/models/catalog";
import { createPrng, type LeasedJob } from "@proofgrid/por";

// Dishonest workers for the Proof-of-Render tests and `npm run bench:por`. Each is a real
// worker daemon (apps/worker's runWorker, real protocol, real signatures) whose executor
// lies in one way; the platform must catch every one of them.

export const CHEAT_STRATEGIES = ["random", "replay", "perturbed", "cheaper", "watched", "partial"] as const;
export type CheatStrategy = (typeof CHEAT_STRATEGIES)[number];

export type RunResult =
  | { id: number; ok: true; output: unknown; inferenceMs: number }
  | { id: number; ok: false; error: string; inputError: boolean };

/** Outputs of the right shape and plausible values, computed from nothing. */
export function randomOutput(slug: string, job: LeasedJob): unknown {
  const prng = createPrng(`cheat:${job.jobId}`);
  const rnd = () => prng.nextFloat();
  switch (slug) {
    case "ocr-ppocr-v4": {
      const words = ["invoice", "total", "2026", "receipt", "node", "verified", "ledger", "amount"];
      const lines = Array.from({ length: 1 + Math.floor(rnd() * 5) }, (_, i) => {
        const y = 20 + i * 60;
        const text = Array.from({ length: 2 + Math.floor(rnd() * 3) }, () => words[Math.floor(rnd() * words.length)]).join(" ");
        return {
          text,
          confidence: 0.9 + rnd() * 0.09,
          box: [
            [20, y],
            [400, y],
            [400, y + 40],
            [20, y + 40],
          ],
        };
      });
      return { lines, width: 640, height: 640 };
    }
    case "vad-silero-v5": {
      const start = Math.round(rnd() * 3000) / 1000;
      return { segments: [{ start, end: Math.round((start + 1 + rnd() * 2) * 1000) / 1000 }], durationSec: 10, frames: 312 };
    }
    default: {
      const texts = (job.input as { texts?: unknown[] }).texts;
      const n = Array.isArray(texts) ? texts.length : 1;
      return { dim: 384, vectors: Array.from({ length: n }, () => Array.from({ length: 384 }, () => (rnd() * 2 - 1) * 0.05)) };
    }
  }
}

export interface CheatOptions {
  strategy: CheatStrategy;
  /** partial: the share of jobs faked. */
  fraction: number;
  /** watched: jobs it stays honest for after registering, believing it is on probation. */
  probationJobs: number;
  /** Appends one JSON line per job: what the cheater did (ground truth for the benchmark). */
  record?: (line: { jobId: string; cheated: boolean }) => void;
}

/**
 * The executor for a strategy. `honest` runs the real model in the worker's thread pool.
 * - random: every output made up;
 * - replay: every output copied from an earlier job of the same model;
 * - perturbed: a copy of the model with every weight changed by up to 1 %;
 * - cheaper: a smaller model (the encoder with 2 of its 6 layers) passed off as the real one;
 * - watched: honest while it believes it is watched (its first jobs, which it takes for
 *   probation, and any input it has seen before, which it takes for a test), random otherwise;
 * - partial: random on `fraction` of its jobs, honest on the rest.
 */
export function cheatingExecutor(opts: CheatOptions) {
  const seenOutputs = new Map<string, unknown>();
  const seenInputs = new Set<string>();
  const tampered = new Map<string, Promise<Pipeline>>();
  let jobs = 0;

  const tamperedPipeline = (slug: ModelSlug): Promise<Pipeline> => {
    let p = tampered.get(slug);
    if (!p) {
      p = (async () => {
        const files =
          opts.strategy === "cheaper"
            ? await cheaperModelFiles(slug)
            : await perturbedModelFiles(slug, { relative: 0.01, seed: "cheater" });
        if (!files) throw new Error(`no cheaper model for ${slug}`);
        return createPipelineFromFiles(slug, files, { intraOpNumThreads: 1 });
      })();
      tampered.set(slug, p);
    }
    return p;
  };

  return async (job: LeasedJob, honest: () => Promise<RunResult>): Promise<RunResult> => {
    jobs++;
    const fake = (output: unknown): RunResult => {
      opts.record?.({ jobId: job.jobId, cheated: true });
      return { id: 0, ok: true, output, inferenceMs: 1 };
    };
    const real = async (): Promise<RunResult> => {
      opts.record?.({ jobId: job.jobId, cheated: false });
      return honest();
    };
    switch (opts.strategy) {
      case "random":
        return fake(randomOutput(job.modelSlug, job));
      case "replay": {
        const earlier = seenOutputs.get(job.modelSlug);
        if (earlier === undefined) {
          const r = await real();
          if (r.ok) seenOutputs.set(job.modelSlug, r.output);
          return r;
        }
        return fake(earlier);
      }
      case "perturbed":
      case "cheaper": {
        if (opts.strategy === "cheaper" && job.modelSlug !== "encoder-synthetic-minilm") return real();
        const t0 = performance.now();
        const output = await (await tamperedPipeline(job.modelSlug as ModelSlug)).run(job.input as never);
        opts.record?.({ jobId: job.jobId, cheated: true });
        return { id: 0, ok: true, output, inferenceMs: performance.now() - t0 };
      }
      case "watched": {
        const key = createHash("sha256").update(JSON.stringify(job.input)).digest("hex");
        const seen = seenInputs.has(key);
        seenInputs.add(key);
        if (jobs <= opts.probationJobs || seen) return real();
        return fake(randomOutput(job.modelSlug, job));
      }
      case "partial":
        return Math.random() < opts.fraction ? fake(randomOutput(job.modelSlug, job)) : real();
    }
  };
}
