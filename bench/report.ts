/** One JSON line per metric on stdout; progress goes to stderr. */
export interface Metric {
  name: string;
  value: number;
  unit: string;
  baseline?: number;
  ratio?: number;
  /** null: a figure to read, with no goal set (printed as such). */
  goal?: string | null;
  /** Whether this run met `goal` (set where the goal is one of an issue's). */
  met?: boolean;
  note?: string;
  /** Anything else worth keeping with the number (JSON). */
  detail?: unknown;
}

export function report(m: Metric): void {
  const round = (x: number) => (Math.abs(x) >= 100 ? Math.round(x * 10) / 10 : Math.round(x * 1000) / 1000);
  const out: Metric = { ...m, value: round(m.value) };
  if (m.baseline !== undefined) {
    out.baseline = round(m.baseline);
    out.ratio = m.ratio ?? round(m.value / m.baseline);
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

export function progress(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (s[lo] ?? 0) + ((s[hi] ?? 0) - (s[lo] ?? 0)) * (pos - lo);
}

export const median = (xs: readonly number[]) => quantile(xs, 0.5);
