/**
 * Compute Units: 1 CU is one second of compute on the reference machine (a 2-core
 * x86-64 VM running onnxruntime-node on CPU with intraOpNumThreads 2 and all graph
 * optimisations). Work is counted in integer milli-CU; prices in token base units
 * (1 token = 10^6 base units).
 */

export const MILLI_CU_PER_CU = 1_000;

/** A job's price: CU cost × price per CU, rounded up to a whole base unit. */
export function priceForJob(opts: { costMilliCu: number; pricePerCu: number }): bigint {
  const { costMilliCu, pricePerCu } = opts;
  if (!Number.isSafeInteger(costMilliCu) || costMilliCu < 0) throw new RangeError(`costMilliCu must be a non-negative integer, got ${costMilliCu}`);
  if (!Number.isSafeInteger(pricePerCu) || pricePerCu < 0) throw new RangeError(`pricePerCu must be a non-negative integer, got ${pricePerCu}`);
  const numerator = BigInt(costMilliCu) * BigInt(pricePerCu);
  const denom = BigInt(MILLI_CU_PER_CU);
  return (numerator + denom - 1n) / denom;
}

export interface BenchmarkSample {
  slug: string;
  /** The model's time for this input on the reference machine (= its cost in milli-CU). */
  referenceMs: number;
  measuredMs: readonly number[];
}

/**
 * Capability in CU per hour (our OctaneBench "OBh"): 3600 × the median over models of
 * (reference time ÷ this machine's median time). Medians make one slow run (a GC pause,
 * a noisy neighbour) move nothing.
 */
export function cuPerHourFromBenchmark(opts: { samples: readonly BenchmarkSample[] }): number {
  if (opts.samples.length === 0) throw new RangeError("benchmark has no samples");
  const speedups = opts.samples.map((s) => {
    if (!(s.referenceMs > 0) || !Number.isFinite(s.referenceMs)) throw new RangeError(`${s.slug}: referenceMs must be positive`);
    const valid = s.measuredMs.filter((m) => Number.isFinite(m) && m > 0);
    if (valid.length === 0) throw new RangeError(`${s.slug}: no valid measurements`);
    return s.referenceMs / medianOf(valid);
  });
  return 3_600 * medianOf(speedups);
}

function medianOf(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}
