// Compute Units: 1 CU is one second of compute on the reference machine (a 2-core x86-64 VM
// running onnxruntime-node on CPU with intraOpNumThreads 2 and all graph optimisations). Work
// is counted in integer milli-CU, so a model's reference time in ms is its cost in milli-CU.
// Prices are in token base units (1 token = 10^6 base units).
//
// A job's price depends only on its CU cost, never on which worker runs it; a worker's
// capability in CU per hour (our OctaneBench "OBh") then sets how much it earns per hour.

export const MILLI_CU_PER_CU = 1_000;
export const BASE_UNITS_PER_TOKEN = 1_000_000n;
export const SECONDS_PER_HOUR = 3_600;
/** Ceiling on any single price: it must fit a JS number and Postgres bigint losslessly
 * (9.0e15 base units = 9.0e9 tokens, far above any real job). */
export const MAX_PRICE_BASE_UNITS = BigInt(Number.MAX_SAFE_INTEGER);
/** Ceiling on capability: 2 778× the reference machine, and well inside the Int column
 * `nodes.cu_per_hour`. A score above it is a broken or dishonest benchmark. */
export const MAX_CU_PER_HOUR = 10_000_000;
/** Bounds on a benchmark report (the worker CLI runs ~3 models × ~10 runs). */
export const MAX_BENCHMARK_SAMPLES = 64;
export const MAX_BENCHMARK_RUNS = 1_000;

export interface PriceForJobOptions {
  /** The job's cost in milli-CU (non-negative safe integer). */
  costMilliCu: number;
  /** Base units per CU (non-negative integer). */
  pricePerCuBaseUnits: number | bigint;
}

/** A job's price in base units: cost × price per CU, rounded up to a whole base unit (the
 * platform never undercharges by a fraction). Throws RangeError above MAX_PRICE_BASE_UNITS. */
export function priceForJob(options: PriceForJobOptions): bigint {
  const { costMilliCu, pricePerCuBaseUnits: pricePerCu } = options;
  if (!Number.isSafeInteger(costMilliCu) || costMilliCu < 0)
    throw new RangeError(`costMilliCu must be a non-negative integer, got ${costMilliCu}`);
  const perCu = typeof pricePerCu === "bigint" ? pricePerCu : Number.isSafeInteger(pricePerCu) ? BigInt(pricePerCu) : -1n;
  if (perCu < 0n) throw new RangeError(`pricePerCu must be a non-negative integer, got ${pricePerCu}`);
  const milli = BigInt(MILLI_CU_PER_CU);
  const price = (BigInt(costMilliCu) * perCu + milli - 1n) / milli;
  if (price > MAX_PRICE_BASE_UNITS) throw new RangeError(`price ${price} exceeds the maximum of ${MAX_PRICE_BASE_UNITS} base units`);
  return price;
}

/** How long a worker of the given capability should take for a job, in ms: it does
 * cuPerHour/3600 CU per second, so cost milli-CU take cost × 3600 / cuPerHour ms. */
export function expectedDurationMs(options: { costMilliCu: number; cuPerHour: number }): number {
  const { costMilliCu, cuPerHour } = options;
  if (!(Number.isFinite(costMilliCu) && costMilliCu >= 0)) throw new RangeError(`costMilliCu must be non-negative, got ${costMilliCu}`);
  if (!(Number.isFinite(cuPerHour) && cuPerHour > 0)) throw new RangeError(`cuPerHour must be positive, got ${cuPerHour}`);
  return (costMilliCu * SECONDS_PER_HOUR) / cuPerHour;
}

export interface BenchmarkSample {
  /** The benchmark model's slug; unique within a report. */
  slug: string;
  /** The model's time for this input on the reference machine (= its cost in milli-CU). */
  referenceMs: number;
  /** This machine's wall times for the same input, one per run. */
  measuredMs: readonly number[];
}

export interface BenchmarkScore {
  /** Capability in CU per hour (not rounded). */
  cuPerHour: number;
  /** Reference work done per unit of wall time: 1 = as fast as the reference machine. */
  speedRatio: number;
  benchmarks: { slug: string; referenceMs: number; medianMs: number; speedRatio: number }[];
}

/**
 * Scores a capability benchmark (our OctaneBench): per model the median of the runs, so one
 * slow run (a GC pause, a noisy neighbour) moves nothing; then the weighted ratio
 *
 *   speedRatio = Σ referenceMs / Σ medianMs,   cuPerHour = 3600 × speedRatio
 *
 * i.e. how many reference seconds of work the machine does per wall second on the whole
 * suite. Weighting by reference time is what a CU measures: a model that costs 10× more
 * counts 10× more, and a tiny model that happens to run fast cannot inflate the score.
 * Throws RangeError on an empty, oversized, duplicated or non-positive sample.
 */
export function scoreBenchmark(options: { samples: readonly BenchmarkSample[] }): BenchmarkScore {
  const { samples } = options;
  if (samples.length === 0) throw new RangeError("benchmark has no samples");
  if (samples.length > MAX_BENCHMARK_SAMPLES)
    throw new RangeError(`benchmark has ${samples.length} samples; at most ${MAX_BENCHMARK_SAMPLES}`);
  const seen = new Set<string>();
  let referenceTotal = 0;
  let medianTotal = 0;
  const benchmarks = samples.map((sample) => {
    const { slug, referenceMs, measuredMs } = sample;
    if (typeof slug !== "string" || slug.length === 0 || slug.length > 128)
      throw new RangeError("benchmark slug must be 1..128 characters");
    if (seen.has(slug)) throw new RangeError(`${slug}: appears twice in the benchmark`);
    seen.add(slug);
    if (!(Number.isFinite(referenceMs) && referenceMs > 0))
      throw new RangeError(`${slug}: referenceMs must be positive and finite, got ${referenceMs}`);
    if (measuredMs.length === 0) throw new RangeError(`${slug}: no measurements`);
    if (measuredMs.length > MAX_BENCHMARK_RUNS) throw new RangeError(`${slug}: ${measuredMs.length} runs; at most ${MAX_BENCHMARK_RUNS}`);
    for (const ms of measuredMs) {
      if (!(Number.isFinite(ms) && ms > 0)) throw new RangeError(`${slug}: every measurement must be positive and finite, got ${ms}`);
    }
    const medianMs = median(measuredMs);
    referenceTotal += referenceMs;
    medianTotal += medianMs;
    return { slug, referenceMs, medianMs, speedRatio: referenceMs / medianMs };
  });
  const speedRatio = referenceTotal / medianTotal;
  const cuPerHour = SECONDS_PER_HOUR * speedRatio;
  if (!(cuPerHour <= MAX_CU_PER_HOUR))
    throw new RangeError(`benchmark gives ${cuPerHour} CU/h, above the plausible maximum of ${MAX_CU_PER_HOUR}`);
  return { cuPerHour, speedRatio, benchmarks };
}

/** Capability in CU per hour from a benchmark report: `scoreBenchmark(...).cuPerHour`. */
export function cuPerHourFromBenchmark(options: { samples: readonly BenchmarkSample[] }): number {
  return scoreBenchmark(options).cuPerHour;
}

/** Median; the mean of the two middle values for an even count. Input must be non-empty. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle];
  if (upper === undefined) throw new RangeError("median of an empty list");
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? upper) + upper) / 2;
}
