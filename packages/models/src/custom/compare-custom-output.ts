/**
 * Proof of Render for custom models (issue 17): does a worker's output agree with a
 * checker's re-execution of the same job? Both are lists of JSON tensors (tensor-io.ts), so
 * the comparison is per output kind:
 *
 * - the same outputs, by name and in order, with the same datatypes and shapes, or no match;
 * - integer and boolean outputs (labels, indices, masks) exactly: an argmax off by one is a
 *   different answer, not rounding;
 * - float outputs (FP32, FP64) elementwise within |a − b| ≤ atol + rtol·|b| (numpy.allclose,
 *   b the reference), with a tolerance chosen by the model's determinism flag.
 *
 * Tolerances. A deterministic model (its two honest runs at validation gave the same bits)
 * gets atol 1e-4 / rtol 1e-3: the catalog's float-tensor tolerance (packages/por
 * compare/float-tensors.ts), which absorbs another CPU's or thread count's rounding; a custom
 * model's honest workers are held to no tighter a bound than the catalog's, and a substitute
 * (a quantised copy, ~1e-2 relative off) still fails it. A model flagged non-deterministic
 * gets ten times that, atol 1e-3 / rtol 1e-2, and the model's page says so. Both are starting
 * points, to be tuned from the `worst` elements checkers record.
 *
 * The worker's output is untrusted: anything malformed (not tensors, an element of the wrong
 * kind, a non-finite number, data not as long as the shape, over the size bound) is a
 * mismatch, never an exception.
 */
import { MAX_COMPARE_ELEMENTS } from "@proofgrid/por";
import { elementCount, TENSOR_DATATYPES, type TensorDatatype, type TensorJson } from "./tensor-check.ts";

export interface CustomTolerance {
  atol: number;
  rtol: number;
}

export const CUSTOM_FLOAT_TOLERANCE: Readonly<{ deterministic: CustomTolerance; nonDeterministic: CustomTolerance }> = {
  deterministic: { atol: 1e-4, rtol: 1e-3 },
  nonDeterministic: { atol: 1e-3, rtol: 1e-2 },
};

export type CustomCompareReason = "ok" | "malformed" | "outputs_differ" | "datatype_differs" | "shape_differs" | "out_of_tolerance";

export interface CustomWorstElement {
  name: string;
  index: number;
  a: number | boolean;
  b: number | boolean;
  /** atol + rtol·|b| for a float; 0 for an integer or boolean. */
  allowed: number;
}

export interface CustomCompareResult {
  match: boolean;
  reason: CustomCompareReason;
  /** What failed, in words; null on a match. */
  detail: string | null;
  /**
   * The element furthest from its allowance (largest |a − b| / allowed; any difference in an
   * exact output counts as infinitely far), or null when every element is identical or the
   * outputs could not be compared element by element.
   */
  worst: CustomWorstElement | null;
}

const MAX_OUTPUTS = 64;
const FLOATS: ReadonlySet<TensorDatatype> = new Set(["FP32", "FP64"]);

/** The tolerance an output of `datatype` is compared with; null: exactly. */
export function customOutputTolerance(datatype: TensorDatatype, deterministic: boolean): CustomTolerance | null {
  if (!FLOATS.has(datatype)) return null;
  return deterministic ? CUSTOM_FLOAT_TOLERANCE.deterministic : CUSTOM_FLOAT_TOLERANCE.nonDeterministic;
}

/** Why `v` is not a well-formed output tensor of at most `budget` elements, or null. */
function malformed(v: unknown, side: string, i: number, budget: number): string | null {
  if (typeof v !== "object" || v === null) return `${side} output ${i} is not a tensor`;
  const t = v as Record<string, unknown>;
  if (typeof t.name !== "string" || t.name.length > 256) return `${side} output ${i} has no name`;
  if (!(TENSOR_DATATYPES as readonly unknown[]).includes(t.datatype)) return `${side} output '${t.name}' has no known datatype`;
  const shape = t.shape;
  if (!Array.isArray(shape) || shape.length > 64 || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    return `${side} output '${t.name}' has no valid shape`;
  }
  const n = elementCount(shape as number[]);
  if (n > budget) return `${side} outputs hold more than the ${MAX_COMPARE_ELEMENTS} elements compared (at '${t.name}')`;
  if (!Array.isArray(t.data) || t.data.length !== n) return `${side} output '${t.name}': data is not ${n} elements long`;
  const bool = t.datatype === "BOOL";
  for (let k = 0; k < n; k++) {
    const e = t.data[k];
    if (bool ? typeof e !== "boolean" : typeof e !== "number" || !Number.isFinite(e)) {
      return `${side} output '${t.name}': element ${k} is not ${bool ? "a boolean" : "a finite number"}`;
    }
  }
  return null;
}

function checkAll(list: unknown, side: string): string | null {
  if (!Array.isArray(list)) return `${side} outputs are not a list`;
  if (list.length > MAX_OUTPUTS) return `${side} has ${list.length} outputs: at most ${MAX_OUTPUTS}`;
  let total = 0;
  for (const [i, t] of list.entries()) {
    const why = malformed(t, side, i, MAX_COMPARE_ELEMENTS - total);
    if (why) return why;
    total += (t as TensorJson).data.length;
  }
  return null;
}

/**
 * Compares a worker's outputs `a` with the reference `b` (the checker's re-execution).
 * `deterministic` is the model's flag from validation (measureDeterminism).
 */
export function compareCustomOutputs(options: {
  a: unknown;
  b: readonly TensorJson[];
  deterministic: boolean;
  /** Overrides the float tolerance of the flag. */
  tolerance?: CustomTolerance;
}): CustomCompareResult {
  const fail = (reason: CustomCompareReason, detail: string, worst: CustomWorstElement | null = null): CustomCompareResult => ({
    match: false,
    reason,
    detail,
    worst,
  });
  const why = checkAll(options.a, "the worker's") ?? checkAll(options.b, "the reference");
  if (why) return fail("malformed", why);
  const a = options.a as TensorJson[];
  const b = options.b;
  const names = (l: readonly TensorJson[]) => l.map((t) => t.name).join(", ");
  if (a.length !== b.length || a.some((t, i) => t.name !== b[i]?.name)) {
    return fail("outputs_differ", `outputs [${names(a)}] against [${names(b)}]`);
  }
  for (let i = 0; i < a.length; i++) {
    const ta = a[i] as TensorJson;
    const tb = b[i] as TensorJson;
    if (ta.datatype !== tb.datatype) return fail("datatype_differs", `output '${ta.name}' is ${ta.datatype} against ${tb.datatype}`);
    if (ta.shape.length !== tb.shape.length || ta.shape.some((d, k) => d !== tb.shape[k])) {
      return fail("shape_differs", `output '${ta.name}' has shape [${ta.shape.join(", ")}] against [${tb.shape.join(", ")}]`);
    }
  }

  let worst: CustomWorstElement | null = null;
  let worstRatio = 0;
  let firstOut: CustomWorstElement | null = null;
  for (let i = 0; i < a.length; i++) {
    const ta = a[i] as TensorJson;
    const tb = b[i] as TensorJson;
    const tol = options.tolerance ?? customOutputTolerance(ta.datatype, options.deterministic);
    const exact = !FLOATS.has(ta.datatype);
    for (let k = 0; k < ta.data.length; k++) {
      const ea = ta.data[k] as number | boolean;
      const eb = tb.data[k] as number | boolean;
      if (ea === eb) continue;
      const allowed = exact || !tol ? 0 : tol.atol + tol.rtol * Math.abs(eb as number);
      const diff = exact ? Number.POSITIVE_INFINITY : Math.abs((ea as number) - (eb as number));
      const ratio = allowed > 0 ? diff / allowed : Number.POSITIVE_INFINITY;
      const here = { name: ta.name, index: k, a: ea, b: eb, allowed };
      if (diff > allowed) firstOut ??= here;
      if (worst === null || ratio > worstRatio) {
        worst = here;
        worstRatio = ratio;
      }
    }
  }
  if (firstOut) {
    // On a mismatch, name an element that is outside (the worst one is, unless ties put the first first).
    const named = worst && worstRatio > 1 ? worst : firstOut;
    return fail(
      "out_of_tolerance",
      `output '${named.name}' element ${named.index} is ${named.a} against ${named.b} (allowed difference ${named.allowed})`,
      named,
    );
  }
  return { match: true, reason: "ok", detail: null, worst };
}

export interface DeterminismMeasure {
  /** The two runs gave identical outputs: compare with the default float tolerance. */
  deterministic: boolean;
  /**
   * The runs agree within the tolerance their flag selects. False: the model's own honest
   * runs differ past even the widened tolerance (or in an integer output, or in shape), so
   * re-execution cannot verify it: refuse it or list it as unverifiable.
   */
  verifiable: boolean;
  /** The comparison of run A against run B under the flag's tolerance. */
  comparison: CustomCompareResult;
}

/** Decides a model's determinism flag from two honest runs of the same input (at validation). */
export function measureDeterminism(runA: readonly TensorJson[], runB: readonly TensorJson[]): DeterminismMeasure {
  const exact = compareCustomOutputs({ a: runA, b: runB, deterministic: true, tolerance: { atol: 0, rtol: 0 } });
  if (exact.match) {
    return { deterministic: true, verifiable: true, comparison: compareCustomOutputs({ a: runA, b: runB, deterministic: true }) };
  }
  const widened = compareCustomOutputs({ a: runA, b: runB, deterministic: false });
  return { deterministic: false, verifiable: widened.match, comparison: widened };
}
