/**
 * The traffic of an uploaded model (issue 17), as challenges imitate it: what a customer job's
 * input tensors look like in numbers only — each tensor's name, datatype and exact shape, and
 * a few statistics of its values (the share of zeros, then mean, spread and range of the
 * rest, whether they are all integers, how many significant digits they are written with and
 * whether they are float32 values, and how alike neighbouring values are along the last two
 * axes) — and a challenge input rendered from such a measurement
 * with a seed. No element of a customer's input is kept: a challenge built from the numbers
 * has the job's shapes and datatypes and values of the same law, and nothing of its content.
 *
 * Why these statistics: a worker sees the JSON of its jobs, so what differs between a planted
 * input and its customers' at a glance is what a challenge must copy — the shape (a batch of
 * 1 in a stream of batches of 8), the value range (pixels 0–255 against N(0, 1)), masks and
 * padding (runs of zeros), token ids (integers in a float tensor), and how the numbers are
 * printed (3 decimals typed by hand, or 17 digits of a float32 cast), and structure: in a
 * picture or a recording each value is close to its neighbours, where independent draws are
 * noise — a test of one correlation would tell them apart. Pure; no onnxruntime.
 */
import { createPrng } from "@proofgrid/por";
import type { TensorDatatype, TensorJson } from "./tensor-check.ts";
import { FP32_MAX, INT_RANGES } from "./tensor-ranges.ts";

/** One input tensor of a customer job, in numbers only. */
export interface TensorTraffic {
  name: string;
  datatype: TensorDatatype;
  shape: number[];
  /** Share of the elements that are exactly 0 (false for BOOL): padding, masks. */
  zeros: number;
  /** Mean, standard deviation, least and greatest of the non-zero elements (0 when all are zero). */
  mean: number;
  std: number;
  min: number;
  max: number;
  /** Every element is an integer (token ids in a float tensor, say). */
  integral: boolean;
  /** Most significant digits an element is written with in JSON, of the first DIGIT_SAMPLE (1–17). */
  digits: number;
  /** Every one of those elements is a float32 value (a client that casts to float32 and prints it). */
  float32: boolean;
  /**
   * Correlation of each value with its neighbour along the last axis (a picture's next pixel
   * in its row, a recording's next sample) and along the axis before it (the pixel below), in
   * [-0.99, 0.99]; 0 for integers and booleans, and absent from samples taken before they
   * were measured (read as 0: independent values).
   */
  lagLast?: number;
  lagPrev?: number;
}

/** A customer job's input on an uploaded model: its tensors, in the order the job gave them. */
export interface CustomInputShape {
  kind: "tensors";
  tensors: TensorTraffic[];
}

/** Elements looked at for the way numbers are written: the digit count needs no more. */
const DIGIT_SAMPLE = 1_000;
/** Tensors measured per job: far more than any signature the upload accepts. */
const MAX_TENSORS = 64;
/** Draws of one non-zero element before the range's end stands in. */
const MAX_REDRAWS = 8;
/** Bound on a measured neighbour correlation: a field of correlation 1 would be one value. */
const MAX_LAG = 0.99;

/**
 * Pearson correlation of x[i] with x[i + step] over the pairs that stay within a block of
 * `block` elements (a row for the last axis, a plane for the one before), rounded to 3 decimals.
 */
function lagCorrelation(data: readonly number[], step: number, block: number): number {
  let n = 0;
  let sa = 0;
  let sb = 0;
  let saa = 0;
  let sbb = 0;
  let sab = 0;
  for (let i = 0; i + step < data.length; i++) {
    if (Math.floor(i / block) !== Math.floor((i + step) / block)) continue;
    const a = data[i] as number;
    const b = data[i + step] as number;
    n++;
    sa += a;
    sb += b;
    saa += a * a;
    sbb += b * b;
    sab += a * b;
  }
  if (n < 2) return 0;
  const cov = sab / n - (sa / n) * (sb / n);
  const va = saa / n - (sa / n) ** 2;
  const vb = sbb / n - (sb / n) ** 2;
  if (!(va > 0 && vb > 0)) return 0;
  const r = cov / Math.sqrt(va * vb);
  return Math.round(Math.min(MAX_LAG, Math.max(-MAX_LAG, r)) * 1000) / 1000;
}

export function isCustomInputShape(x: unknown): x is CustomInputShape {
  return (
    typeof x === "object" && x !== null && (x as { kind?: unknown }).kind === "tensors" && Array.isArray((x as CustomInputShape).tensors)
  );
}

/** Significant digits of a number as JSON writes it (shortest round-trip form). */
function significantDigits(v: number): number {
  const mantissa = Math.abs(v).toExponential().split("e")[0] ?? "0";
  return Math.max(1, mantissa.replace(".", "").replace(/0+$/, "").length);
}

/**
 * The numbers of a job's input `{ inputs: [tensor, ...] }` (checked at submit against the
 * model's signature, so every tensor is well formed and within the element cap).
 */
export function measureCustomInput(input: unknown): CustomInputShape {
  const inputs = (input as { inputs?: unknown } | null)?.inputs;
  if (!Array.isArray(inputs)) throw new Error("not a custom model's input {inputs: [...]}");
  const tensors: TensorTraffic[] = [];
  for (const raw of inputs.slice(0, MAX_TENSORS)) {
    const t = raw as TensorJson;
    const data = t.data as readonly (number | boolean)[];
    let zeros = 0;
    let n = 0;
    let sum = 0;
    let sumSq = 0;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    let integral = true;
    let digits = 1;
    let float32 = true;
    for (let i = 0; i < data.length; i++) {
      const v = Number(data[i]);
      if (i < DIGIT_SAMPLE && v !== 0) {
        digits = Math.max(digits, significantDigits(v));
        if (Math.fround(v) !== v) float32 = false;
      }
      if (!Number.isInteger(v)) integral = false;
      if (v === 0) {
        zeros++;
        continue;
      }
      n++;
      sum += v;
      sumSq += v * v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const mean = n > 0 ? sum / n : 0;
    // Neighbours: for real-valued tensors only (token ids and masks have no such structure).
    const width = t.shape.length > 0 ? (t.shape[t.shape.length - 1] as number) : data.length;
    const height = t.shape.length > 1 ? (t.shape[t.shape.length - 2] as number) : 1;
    const real = t.datatype !== "BOOL" && !integral && data.length > 2;
    const values = real ? (data as readonly number[]) : [];
    const lagLast = real && width > 1 ? lagCorrelation(values, 1, width) : 0;
    const lagPrev = real && height > 1 ? lagCorrelation(values, width, width * height) : 0;
    tensors.push({
      name: t.name,
      datatype: t.datatype,
      shape: [...t.shape],
      zeros: data.length > 0 ? zeros / data.length : 0,
      mean,
      std: n > 1 ? Math.sqrt(Math.max(0, sumSq / n - mean * mean)) : 0,
      min: n > 0 ? min : 0,
      max: n > 0 ? max : 0,
      integral,
      digits,
      float32,
      lagLast,
      lagPrev,
    });
  }
  return { kind: "tensors", tensors };
}

/**
 * A challenge input of `shape` (one recent customer job's measurement), seeded: each tensor
 * of the job's name, datatype and shape, its elements 0 with the job's share of zeros and
 * otherwise drawn from a normal law of the job's mean and spread, kept within its range,
 * rounded to integers when the job's were, and written with its digits. A real-valued
 * tensor whose neighbours were alike is drawn as a field with the same two neighbour
 * correlations (each plane of the last two axes a separable first-order autoregression:
 * z[h][w] = a·z[h][w−1] + b·z[h−1][w] − a·b·z[h−1][w−1] + √((1−a²)(1−b²))·e, which has unit
 * variance and correlation a along a row and b down a column), so it is as smooth as the job's
 * pictures or recordings, not noise. Box–Muller uses
 * Math.log and Math.cos, so the bits may differ between engines: the platform sends the
 * rendered input itself (a challenge item carries its input), nothing rebuilds it elsewhere.
 */
export function renderCustomChallenge(shape: CustomInputShape, seed: string): { inputs: TensorJson[] } {
  const prng = createPrng(`custom-challenge:${seed}`);
  const inputs = shape.tensors.map((t) => {
    const p = prng.fork(t.name);
    const count = t.shape.reduce((a, d) => a * d, 1);
    const normal = () => {
      const u = 1 - p.nextFloat();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * p.nextFloat());
    };
    if (t.datatype === "BOOL") {
      const data = Array.from({ length: count }, () => !p.chance(t.zeros));
      return { name: t.name, datatype: t.datatype, shape: [...t.shape], data } satisfies TensorJson;
    }
    const range = INT_RANGES[t.datatype];
    const isInt = range !== undefined || t.integral;
    const lo = Math.max(t.min, range?.[0] ?? -FP32_MAX);
    const hi = Math.min(t.max, range?.[1] ?? FP32_MAX);
    const data = new Array<number>(count);
    const field = isInt ? null : correlatedField(t, count, normal);
    /** A real value as the job's were written: its significant digits, a float32 when they were. */
    const written = (v: number) => {
      const printed = Number(v.toPrecision(Math.min(17, Math.max(1, t.digits))));
      return t.float32 ? Math.fround(printed) : printed;
    };
    for (let i = 0; i < count; i++) {
      if (p.chance(t.zeros)) {
        data[i] = 0;
        continue;
      }
      if (field) {
        const v = written(Math.min(hi, Math.max(lo, t.mean + t.std * (field[i] as number))));
        data[i] = v !== 0 ? v : lo > 0 ? lo : hi;
        continue;
      }
      // A draw that rounds to 0 would add zeros the job did not have: drawn again (a few
      // times; then an end of its range stands in).
      let v = 0;
      for (let tries = 0; tries < MAX_REDRAWS && v === 0; tries++) {
        v = t.mean + t.std * normal();
        if (isInt) v = Math.round(v);
        v = Math.min(hi, Math.max(lo, v));
        if (!isInt) v = written(v);
      }
      data[i] = v !== 0 ? v : lo > 0 ? lo : hi;
    }
    return { name: t.name, datatype: t.datatype, shape: [...t.shape], data } satisfies TensorJson;
  });
  return { inputs };
}

/**
 * Unit-variance values with the measured neighbour correlations, plane by plane (see
 * renderCustomChallenge); null when the job's values were independent (both correlations 0).
 */
function correlatedField(t: TensorTraffic, count: number, normal: () => number): Float64Array | null {
  const a = Math.min(MAX_LAG, Math.max(-MAX_LAG, t.lagLast ?? 0));
  const b = Math.min(MAX_LAG, Math.max(-MAX_LAG, t.lagPrev ?? 0));
  if (a === 0 && b === 0) return null;
  const width = t.shape.length > 0 ? (t.shape[t.shape.length - 1] as number) : count;
  const height = t.shape.length > 1 ? (t.shape[t.shape.length - 2] as number) : 1;
  const plane = Math.max(1, width * height);
  const sa = Math.sqrt(1 - a * a);
  const sb = Math.sqrt(1 - b * b);
  const z = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const w = i % width;
    const h = Math.floor((i % plane) / width);
    const e = normal();
    if (w === 0 && h === 0) z[i] = e;
    else if (h === 0) z[i] = a * (z[i - 1] as number) + sa * e;
    else if (w === 0) z[i] = b * (z[i - width] as number) + sb * e;
    else z[i] = a * (z[i - 1] as number) + b * (z[i - width] as number) - a * b * (z[i - width - 1] as number) + sa * sb * e;
  }
  return z;
}
