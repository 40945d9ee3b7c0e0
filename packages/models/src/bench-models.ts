/**
 * What each pipeline's run() costs next to bare session.run on the very tensors it fed
 * the model: the difference is pre- and post-processing (decoding, resizing, DB boxes,
 * CTC, tokenizing, WAV parsing). Called by the bench harness; numbers, no printing.
 */
import { MODEL_SLUGS, type ModelSlug } from "./model-schemas.ts";
import { referenceInputs } from "./reference-inputs.ts";
import { createPipeline } from "./runtime/create-pipeline.ts";
import type { Pipeline } from "./runtime/pipeline.ts";
import type { SessionCall, SessionOptions } from "./runtime/session.ts";

const MAX_ITERATIONS = 10_000;

export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError("median of nothing");
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

async function replay(calls: readonly SessionCall[]): Promise<void> {
  for (const c of calls) await c.session.run(c.feeds);
}

export interface ModelBenchResult {
  slug: ModelSlug;
  id: string;
  iterations: number;
  /** Median of pipeline.run(input), milliseconds. */
  pipelineMedianMs: number;
  /** Median of replaying the same run's session.run calls with the same tensors. */
  bareMedianMs: number;
  /** pipelineMedianMs − bareMedianMs. */
  overheadMs: number;
  /** session.run calls one pipeline.run makes for this input (OCR: 1 + lines; VAD: windows). */
  sessionRunsPerJob: number;
}

export interface BenchModelsOptions {
  slugs?: readonly ModelSlug[];
  /** Timed repetitions of each (after 2 warm-up runs); default 20. */
  iterations?: number;
  /** Default: the reference machine's options (2 threads, "all"). */
  session?: SessionOptions;
  /** Default: referenceInputs(), the inputs the catalog's base costs price. */
  inputs?: Partial<Record<ModelSlug, unknown>>;
}

async function benchOne(pipeline: Pipeline, input: unknown, iterations: number): Promise<Omit<ModelBenchResult, "slug" | "id">> {
  const calls = await pipeline.trace(input as never);
  await pipeline.run(input as never);
  await replay(calls);
  const piped: number[] = [];
  const bare: number[] = [];
  // Interleaved, so a noisy neighbour slows both series alike.
  for (let i = 0; i < iterations; i++) {
    let t0 = performance.now();
    await pipeline.run(input as never);
    piped.push(performance.now() - t0);
    t0 = performance.now();
    await replay(calls);
    bare.push(performance.now() - t0);
  }
  const pipelineMedianMs = median(piped);
  const bareMedianMs = median(bare);
  return { iterations, pipelineMedianMs, bareMedianMs, overheadMs: pipelineMedianMs - bareMedianMs, sessionRunsPerJob: calls.length };
}

export async function benchModels(opts: BenchModelsOptions = {}): Promise<ModelBenchResult[]> {
  const iterations = opts.iterations ?? 20;
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS)
    throw new RangeError(`iterations must be 1…${MAX_ITERATIONS}`);
  const defaults =
    opts.inputs && (opts.slugs ?? MODEL_SLUGS).every((s) => opts.inputs?.[s] !== undefined) ? undefined : await referenceInputs();
  const results: ModelBenchResult[] = [];
  for (const slug of opts.slugs ?? MODEL_SLUGS) {
    const pipeline = await createPipeline(slug, opts.session);
    try {
      results.push({ slug, id: pipeline.id, ...(await benchOne(pipeline, opts.inputs?.[slug] ?? defaults?.[slug], iterations)) });
    } finally {
      await pipeline.dispose();
    }
  }
  return results;
}

/** The bare baseline alone, for one model and input (bench/core.ts compares it with end-to-end time). */
export async function benchBareSessionRun(
  slug: string,
  input: unknown,
  opts: SessionOptions & { iterations: number },
): Promise<{ medianMs: number; calls: number }> {
  if (!Number.isInteger(opts.iterations) || opts.iterations < 1 || opts.iterations > MAX_ITERATIONS)
    throw new RangeError(`iterations must be 1…${MAX_ITERATIONS}`);
  const pipeline = await createPipeline(slug, opts);
  try {
    const calls = await pipeline.trace(input as never);
    await replay(calls);
    const times: number[] = [];
    for (let i = 0; i < opts.iterations; i++) {
      const t0 = performance.now();
      await replay(calls);
      times.push(performance.now() - t0);
    }
    return { medianMs: median(times), calls: calls.length };
  } finally {
    await pipeline.dispose();
  }
}
