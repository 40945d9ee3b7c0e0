/**
 * The adversary of issue 12: a worker that tries to tell challenges from customer jobs by
 * everything it sees, so it can be honest only when watched. Two classifiers (gradient-
 * boosted decision stumps with Newton steps on the logistic loss, and L2 logistic
 * regression on standardised features), evaluated by stratified k-fold cross-validation:
 * every score is out of fold, and the AUC is the adversary's best over both.
 */

export interface Example {
  features: Record<string, number>;
  /** 1 = challenge, 0 = customer job. */
  label: 0 | 1;
}

export type Scorer = (x: number[]) => number;

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Area under the ROC curve by ranks (Mann–Whitney), ties counted half. */
export function auc(scores: readonly number[], labels: readonly (0 | 1)[]): number {
  const idx = scores.map((s, i) => [s, labels[i] as number] as const).sort((a, b) => a[0] - b[0]);
  let rankSumPos = 0;
  let pos = 0;
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j < idx.length && (idx[j] as readonly [number, number])[0] === (idx[i] as readonly [number, number])[0]) j++;
    const rank = (i + j + 1) / 2;
    for (let k = i; k < j; k++)
      if ((idx[k] as readonly [number, number])[1] === 1) {
        rankSumPos += rank;
        pos++;
      }
    i = j;
  }
  const neg = idx.length - pos;
  if (pos === 0 || neg === 0) return Number.NaN;
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** Gradient-boosted stumps: `rounds` stumps, each on the feature and cut (of 16 quantiles) that best fits the gradient. */
export function trainStumps(X: number[][], y: readonly number[], rounds = 120, rate = 0.2): Scorer {
  const n = X.length;
  const d = X[0]?.length ?? 0;
  const prior = Math.min(0.99, Math.max(0.01, y.reduce((a, b) => a + b, 0) / Math.max(1, n)));
  const base = Math.log(prior / (1 - prior));
  const F = new Float64Array(n).fill(base);
  const cuts: number[][] = [];
  for (let j = 0; j < d; j++) {
    const col = X.map((r) => r[j] as number).sort((a, b) => a - b);
    cuts.push([...new Set(Array.from({ length: 15 }, (_, q) => col[Math.floor(((q + 1) / 16) * (n - 1))] as number))]);
  }
  const stumps: { j: number; t: number; left: number; right: number }[] = [];
  for (let r = 0; r < rounds; r++) {
    const g = new Float64Array(n);
    const h = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const p = sigmoid(F[i] as number);
      g[i] = (y[i] as number) - p;
      h[i] = Math.max(1e-6, p * (1 - p));
    }
    let best = { gain: 0, j: -1, t: 0, left: 0, right: 0 };
    for (let j = 0; j < d; j++) {
      for (const t of cuts[j] as number[]) {
        let gl = 0;
        let hl = 0;
        let gr = 0;
        let hr = 0;
        for (let i = 0; i < n; i++) {
          if (((X[i] as number[])[j] as number) <= t) {
            gl += g[i] as number;
            hl += h[i] as number;
          } else {
            gr += g[i] as number;
            hr += h[i] as number;
          }
        }
        const gain = (gl * gl) / (hl + 1) + (gr * gr) / (hr + 1);
        if (gain > best.gain) best = { gain, j, t, left: gl / (hl + 1), right: gr / (hr + 1) };
      }
    }
    if (best.j < 0) break;
    stumps.push({ j: best.j, t: best.t, left: best.left * rate, right: best.right * rate });
    for (let i = 0; i < n; i++)
      F[i] = (F[i] as number) + (((X[i] as number[])[best.j] as number) <= best.t ? best.left : best.right) * rate;
  }
  return (x) => stumps.reduce((a, s) => a + ((x[s.j] as number) <= s.t ? s.left : s.right), base);
}

/** L2-regularised logistic regression on standardised features, by gradient descent. */
export function trainLogistic(X: number[][], y: readonly number[], iterations = 300, lambda = 0.01): Scorer {
  const n = X.length;
  const d = X[0]?.length ?? 0;
  const mean = new Array<number>(d).fill(0);
  const sd = new Array<number>(d).fill(0);
  for (const r of X) for (let j = 0; j < d; j++) mean[j] = (mean[j] as number) + (r[j] as number) / n;
  for (const r of X) for (let j = 0; j < d; j++) sd[j] = (sd[j] as number) + ((r[j] as number) - (mean[j] as number)) ** 2 / n;
  for (let j = 0; j < d; j++) sd[j] = Math.sqrt(sd[j] as number) || 1;
  const z = (r: number[]) => r.map((v, j) => (v - (mean[j] as number)) / (sd[j] as number));
  const Z = X.map(z);
  const w = new Array<number>(d).fill(0);
  let b = 0;
  for (let it = 0; it < iterations; it++) {
    const gw = new Array<number>(d).fill(0);
    let gb = 0;
    for (let i = 0; i < n; i++) {
      const zi = Z[i] as number[];
      const e = sigmoid(zi.reduce((a, v, j) => a + v * (w[j] as number), b)) - (y[i] as number);
      for (let j = 0; j < d; j++) gw[j] = (gw[j] as number) + e * (zi[j] as number);
      gb += e;
    }
    for (let j = 0; j < d; j++) w[j] = (w[j] as number) - 0.5 * ((gw[j] as number) / n + lambda * (w[j] as number));
    b -= (0.5 * gb) / n;
  }
  return (x) => z(x).reduce((a, v, j) => a + v * (w[j] as number), b);
}

export interface CvResult {
  auc: number;
  classifier: "stumps" | "logistic";
  /** Out-of-fold scores of the better classifier, in the examples' order. */
  scores: number[];
  byClassifier: { stumps: number; logistic: number };
}

/** Stratified k-fold cross-validation of both classifiers on the named features; the adversary keeps the better. */
export function crossValidate(
  examples: readonly Example[],
  featureNames: readonly string[],
  folds = 5,
  random: () => number = Math.random,
): CvResult {
  const X = examples.map((e) => featureNames.map((f) => finite(e.features[f])));
  const y = examples.map((e) => e.label);
  const order = shuffle(
    examples.map((_, i) => i),
    random,
  );
  const fold = new Array<number>(examples.length);
  let pos = 0;
  let neg = 0;
  for (const i of order) fold[i] = y[i] === 1 ? pos++ % folds : neg++ % folds;
  const out = { stumps: new Array<number>(examples.length).fill(0), logistic: new Array<number>(examples.length).fill(0) };
  for (let k = 0; k < folds; k++) {
    const train = order.filter((i) => fold[i] !== k);
    const test = order.filter((i) => fold[i] === k);
    if (train.length === 0 || test.length === 0) continue;
    const tx = train.map((i) => X[i] as number[]);
    const ty = train.map((i) => y[i] as number);
    const stumps = trainStumps(tx, ty);
    const logistic = trainLogistic(tx, ty);
    for (const i of test) {
      out.stumps[i] = stumps(X[i] as number[]);
      out.logistic[i] = logistic(X[i] as number[]);
    }
  }
  const byClassifier = { stumps: auc(out.stumps, y), logistic: auc(out.logistic, y) };
  const classifier = byClassifier.stumps >= byClassifier.logistic ? "stumps" : "logistic";
  return { auc: byClassifier[classifier], classifier, scores: out[classifier], byClassifier };
}

function finite(v: number | undefined): number {
  return typeof v === "number" && Number.isFinite(v) ? v : 0;
}

export interface ChanceResult {
  /** Median of the adversary's AUC over the shuffles: what it scores on nothing. */
  median: number;
  /** 95th percentile of the same: an AUC below this is within chance at this sample size. */
  p95: number;
  /** Share of shuffles (one pseudo-count added) whose AUC is at least the observed one. */
  p: number;
  rounds: number;
}

/**
 * What the adversary scores by chance alone on these examples: the same cross-validation,
 * on the same features and the same number of challenges, with the labels shuffled. With a
 * hundred challenges a single AUC moves by ±0.05 from run to run, and the adversary keeps
 * the better of two classifiers, so its AUC on nothing is above 0.5; an observed AUC is
 * evidence of a tell only where it stands above this spread (small p).
 */
export function chanceOf(
  examples: readonly Example[],
  featureNames: readonly string[],
  observed: number,
  rounds = 40,
  random: () => number = Math.random,
): ChanceResult {
  const labels = examples.map((e) => e.label);
  const aucs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const shuffled = shuffle(labels, random);
    aucs.push(
      crossValidate(
        examples.map((e, i) => ({ features: e.features, label: shuffled[i] as 0 | 1 })),
        featureNames,
        5,
        random,
      ).auc,
    );
  }
  aucs.sort((a, b) => a - b);
  const at = (q: number) => aucs[Math.min(aucs.length - 1, Math.floor(q * aucs.length))] as number;
  return { median: at(0.5), p95: at(0.95), p: (1 + aucs.filter((a) => a >= observed).length) / (rounds + 1), rounds };
}

/** Fisher–Yates. */
function shuffle<T>(xs: readonly T[], random: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
