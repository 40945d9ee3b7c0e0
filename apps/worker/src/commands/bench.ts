import { estimateCostMilliCu, inspectInput } from "@proofgrid/models";
import { cuPerHourFromBenchmark } from "@proofgrid/por";
import cliProgress from "cli-progress";
import { benchmarkInputs } from "../bench/bench-inputs.ts";
import type { InferencePool } from "../inference/inference-pool.ts";

export interface BenchResult {
  cuPerHour: number;
  samples: { slug: string; referenceMs: number; medianMs: number }[];
}

/**
 * The capability benchmark (our OctaneBench): each built-in model on a fixed input;
 * a model's reference time is its CU cost for that input (1 CU = 1 s on the reference
 * machine), so CU/h = 3600 × reference time / this machine's median time.
 */
export async function runBenchmark(opts: { pool: InferencePool; iterations: number; progress: boolean }): Promise<BenchResult> {
  const inputs = await benchmarkInputs();
  const slugs = Object.keys(inputs);
  const bar = opts.progress
    ? new cliProgress.SingleBar(
        { format: "benchmark |{bar}| {percentage}% {value}/{total} runs {slug}", hideCursor: true },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  bar?.start(slugs.length * (opts.iterations + 1), 0, { slug: "" });
  const samples: { slug: string; referenceMs: number; measuredMs: number[] }[] = [];
  for (const slug of slugs) {
    const input = inputs[slug];
    const facts = await inspectInput(slug, input);
    const referenceMs = estimateCostMilliCu(slug, facts);
    const warm = await opts.pool.run(slug, input); // load + first-run allocation: not measured
    if (!warm.ok) throw new Error(`benchmark ${slug} failed: ${warm.error}`);
    bar?.increment(1, { slug });
    const measuredMs: number[] = [];
    for (let i = 0; i < opts.iterations; i++) {
      const r = await opts.pool.run(slug, input);
      if (!r.ok) throw new Error(`benchmark ${slug} failed: ${r.error}`);
      measuredMs.push(r.inferenceMs);
      bar?.increment(1, { slug });
    }
    samples.push({ slug, referenceMs, measuredMs });
  }
  bar?.stop();
  const cuPerHour = cuPerHourFromBenchmark({ samples });
  return {
    cuPerHour: Math.round(cuPerHour),
    samples: samples.map((s) => ({ slug: s.slug, referenceMs: s.referenceMs, medianMs: median(s.measuredMs) })),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}
