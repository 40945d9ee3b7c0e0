// Order statistics for the market views, pure. Nearest-rank throughout (the value at rank
// ⌈p·n⌉ of the sorted sample), which is what Postgres's percentile_disc computes: a
// percentile is always a value that occurred — an ask someone made, a time a job took.

/** Index (0-based) of the p-quantile in a sorted sample of size n, by nearest rank; -1 if n = 0. */
export function nearestRankIndex(n: number, p: number): number {
  if (!Number.isInteger(n) || n < 0) throw new Error(`sample size must be an integer ≥ 0, got ${n}`);
  if (!(p >= 0 && p <= 1)) throw new Error(`quantile must be in 0..1, got ${p}`);
  if (n === 0) return -1;
  return Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1));
}

/** The p-quantile of a sample of numbers (sorted here), or null for an empty sample. */
export function quantile(values: readonly number[], p: number): number | null {
  const sorted = [...values].sort((a, b) => a - b);
  const i = nearestRankIndex(sorted.length, p);
  return i < 0 ? null : (sorted[i] ?? null);
}

/** Integer amounts (money): the p-quantile without converting to floats, or null. */
export function quantileBig(values: readonly bigint[], p: number): bigint | null {
  const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const i = nearestRankIndex(sorted.length, p);
  return i < 0 ? null : (sorted[i] ?? null);
}

/** min, median (the lower middle for an even count: an ask that exists) and max, or null. */
export function spreadBig(values: readonly bigint[]): { min: bigint; median: bigint; max: bigint } | null {
  const min = quantileBig(values, 0);
  const median = quantileBig(values, 0.5);
  const max = quantileBig(values, 1);
  return min === null || median === null || max === null ? null : { min, median, max };
}
