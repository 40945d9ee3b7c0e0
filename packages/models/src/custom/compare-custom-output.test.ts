import { describe, expect, it } from "vitest";
import { CUSTOM_FLOAT_TOLERANCE, compareCustomOutputs, measureDeterminism } from "./compare-custom-output.ts";
import type { TensorJson } from "./tensor-io.ts";

// A worker's custom-model outputs against a checker's re-execution: floats within a
// tolerance that the model's determinism flag chooses, integers and booleans exactly.

const reference: TensorJson[] = [
  { name: "logits", datatype: "FP32", shape: [2, 2], data: [1.5, -2, 100, 0] },
  { name: "label", datatype: "INT64", shape: [2], data: [0, 2] },
  { name: "mask", datatype: "BOOL", shape: [2], data: [true, false] },
];
const withData = (i: number, data: number[] | boolean[]): TensorJson[] =>
  reference.map((t, k) => (k === i ? { ...t, data } : { ...t, data: [...t.data] as TensorJson["data"] }));
const compare = (a: unknown, deterministic = true) => compareCustomOutputs({ a, b: reference, deterministic });

describe("compareCustomOutputs", () => {
  it("matches identical outputs, with no worst element", () => {
    expect(compare(structuredClone(reference))).toEqual({ match: true, reason: "ok", detail: null, worst: null });
  });

  it("matches a float difference within atol + rtol·|b|, reporting the element closest to its limit", () => {
    // Allowed at 100: 1e-4 + 1e-3 × 100 = 0.1001; 0.05 off uses half of it (2e-5 at 0 uses a fifth).
    const r = compare(withData(0, [1.5, -2, 100.05, 0.00002]));
    expect(r.match).toBe(true);
    expect(r.worst).toMatchObject({ name: "logits", index: 2, a: 100.05, b: 100 });
    expect(r.worst?.allowed).toBeCloseTo(0.1001, 12);
  });

  it("refuses a float off by more than the tolerance, naming the output and the index", () => {
    const r = compare(withData(0, [1.5, -2.01, 100, 0]));
    // Allowed at −2: 1e-4 + 1e-3 × 2 = 0.0021; 0.01 off.
    expect(r).toMatchObject({ match: false, reason: "out_of_tolerance", worst: { name: "logits", index: 1, a: -2.01, b: -2 } });
    expect(r.detail).toMatch(/^output 'logits' element 1 is -2.01 against -2 \(allowed difference 0.0021/);
    // Near zero the absolute part decides: 2e-4 off at 0 is past atol 1e-4.
    expect(compare(withData(0, [1.5, -2, 100, 2e-4]))).toMatchObject({ match: false, worst: { index: 3 } });
  });

  it("widens the tolerance for a model flagged non-deterministic", () => {
    const off = withData(0, [1.5, -2.01, 100, 0]);
    expect(compare(off, true).match).toBe(false);
    expect(compare(off, false)).toMatchObject({ match: true, worst: { name: "logits", index: 1, allowed: 1e-3 + 1e-2 * 2 } });
    // Past even the widened one: 0.05 off at −2 against 0.021.
    expect(compare(withData(0, [1.5, -2.05, 100, 0]), false).match).toBe(false);
  });

  it("compares integers and booleans exactly: off by one is a mismatch, whatever the flag", () => {
    for (const deterministic of [true, false]) {
      expect(compare(withData(1, [0, 3]), deterministic)).toMatchObject({
        match: false,
        reason: "out_of_tolerance",
        worst: { name: "label", index: 1, a: 3, b: 2, allowed: 0 },
      });
      expect(compare(withData(2, [true, true]), deterministic)).toMatchObject({ match: false, worst: { name: "mask", index: 1 } });
    }
  });

  it("names the worst element when several are off", () => {
    // Element 0 is 0.003 off against 0.0016 allowed (ratio ~1.9); element 2 is 1 off against 0.1001 (~10).
    const r = compare(withData(0, [1.503, -2, 101, 0]));
    expect(r.worst).toMatchObject({ name: "logits", index: 2 });
  });

  it("refuses different outputs, datatypes or shapes before comparing elements", () => {
    expect(compare(reference.slice(0, 2))).toMatchObject({ match: false, reason: "outputs_differ", worst: null });
    expect(compare([reference[1], reference[0], reference[2]])).toMatchObject({ reason: "outputs_differ" });
    expect(compare(reference.map((t, i) => (i === 1 ? { ...t, datatype: "INT32" } : t)))).toMatchObject({
      reason: "datatype_differs",
      detail: "output 'label' is INT32 against INT64",
    });
    expect(compare(reference.map((t, i) => (i === 0 ? { ...t, shape: [4, 1] } : t)))).toMatchObject({
      reason: "shape_differs",
      detail: "output 'logits' has shape [4, 1] against [2, 2]",
    });
  });

  it("treats a malformed worker output as a mismatch, never an exception", () => {
    for (const bad of [
      null,
      "outputs",
      [null, reference[1], reference[2]],
      withData(0, [1.5, -2, 100]),
      withData(0, [1.5, -2, 100, Number.NaN]),
      withData(0, [1.5, -2, 100, "0" as unknown as number]),
      withData(2, [1, 0]),
      reference.map((t, i) => (i === 0 ? { ...t, shape: [2 ** 13, 2 ** 12] } : t)),
    ]) {
      expect(compare(bad)).toMatchObject({ match: false, reason: "malformed", worst: null });
    }
  });
});

describe("measureDeterminism: the flag from two honest runs at validation", () => {
  it("flags identical runs deterministic", () => {
    const m = measureDeterminism(reference, structuredClone(reference));
    expect(m).toMatchObject({ deterministic: true, verifiable: true, comparison: { match: true } });
  });

  it("flags runs that differ in the last bits non-deterministic, still verifiable with the widened tolerance", () => {
    const m = measureDeterminism(withData(0, [1.5, -2, 100.00001, 0]), reference);
    expect(m).toMatchObject({ deterministic: false, verifiable: true });
  });

  it("says a model whose own runs differ past the widened tolerance, or in an integer, cannot be verified", () => {
    const w = CUSTOM_FLOAT_TOLERANCE.nonDeterministic;
    const far = 100 + 2 * (w.atol + w.rtol * 100);
    expect(measureDeterminism(withData(0, [1.5, -2, far, 0]), reference)).toMatchObject({ deterministic: false, verifiable: false });
    expect(measureDeterminism(withData(1, [1, 2]), reference)).toMatchObject({ deterministic: false, verifiable: false });
  });
});
