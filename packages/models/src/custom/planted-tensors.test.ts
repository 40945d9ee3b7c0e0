import { plantWrongOutput } from "@proofgrid/por";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareCustomOutputs } from "./compare-custom-output.ts";
import { checkCustomJobOutput } from "./custom-job-io.ts";
import type { TensorJson } from "./tensor-check.ts";

// Planted checks on uploaded models (issue 17): the wrong outputs a checker is shown must be
// outside both tolerances of compareCustomOutputs (so a checker that computes rejects them),
// and still a well-formed output of the model — its outputs, names, datatypes and shapes —
// so a lazy checker cannot reject them by their form alone.

const floatTensor = (name: string, datatype: "FP32" | "FP64") =>
  fc
    .integer({ min: 1, max: 200 })
    .chain((n) =>
      fc
        .array(fc.float({ min: -1e4, max: 1e4, noNaN: true, noDefaultInfinity: true }), { minLength: n, maxLength: n })
        .map((data): TensorJson => ({ name, datatype, shape: [1, n], data: data.map((v) => (datatype === "FP32" ? Math.fround(v) : v)) })),
    );
const intTensor = (name: string, datatype: "INT64" | "UINT8" | "BOOL") =>
  fc
    .integer({ min: 1, max: 50 })
    .chain((n) =>
      (datatype === "BOOL"
        ? fc.array(fc.boolean(), { minLength: n, maxLength: n })
        : fc.array(fc.integer({ min: 0, max: datatype === "UINT8" ? 255 : 1_000 }), { minLength: n, maxLength: n })
      ).map((data): TensorJson => ({ name, datatype, shape: [n], data })),
    );

const outputsArb = fc.oneof(
  fc.tuple(floatTensor("logits", "FP32")),
  fc.tuple(floatTensor("scores", "FP64"), intTensor("label", "INT64")),
  fc.tuple(intTensor("label", "INT64")),
  fc.tuple(intTensor("pixel", "UINT8"), intTensor("mask", "BOOL")),
);

/** Softmax rows: `rows` rows of `n` probabilities, each summing to 1 (up to float32 rounding). */
const unitTensor = fc
  .tuple(fc.integer({ min: 2, max: 50 }), fc.integer({ min: 1, max: 4 }), fc.double({ min: 0.5, max: 9, noNaN: true }))
  .map(([n, rows, spread]): TensorJson => {
    const data: number[] = [];
    for (let r = 0; r < rows; r++) {
      const raw = Array.from({ length: n }, (_, i) => Math.exp(Math.sin(i * 7.1 + r * 3.3) * spread));
      const sum = raw.reduce((a, b) => a + b, 0);
      data.push(...raw.map((v) => Math.fround(v / sum)));
    }
    return { name: "probabilities", datatype: "FP32", shape: [rows, n], data };
  });

/** Sums of the last axis's rows. */
function rowSums(t: TensorJson): number[] {
  const width = t.shape[t.shape.length - 1] as number;
  const data = t.data as number[];
  const sums: number[] = [];
  for (let r = 0; r < data.length; r += width) sums.push(data.slice(r, r + width).reduce((a, b) => a + b, 0));
  return sums;
}

function ciCounterexample(): TensorJson[] {
  const up = [3, 9, 16, 17, 25, 32, 37, 53, 56, 75, 77, 78, 100];
  const down = [11, 22, 35, 48, 67, 112, 114, 120];
  const v = Math.fround(0.02);
  return [
    {
      name: "scores",
      datatype: "FP64",
      shape: [1, 121],
      data: Array.from({ length: 121 }, (_, i) => (up.includes(i) ? v : down.includes(i) ? -v : 0)),
    },
    { name: "label", datatype: "INT64", shape: [1], data: [0] },
  ];
}

describe("plantWrongOutput for an uploaded model's tensors", () => {
  it("property: a planted output is well-formed for the model, in its range and signs, and fails the comparison at either tolerance", () => {
    fc.assert(
      fc.property(fc.oneof(outputsArb, fc.tuple(unitTensor)), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (outputs, seed) => {
        const truth = { outputs: structuredClone([...outputs]) };
        const planted = plantWrongOutput("tensor", truth, seed) as { outputs: TensorJson[] } | null;
        const changeable = outputs.some((t) =>
          t.datatype === "FP32" || t.datatype === "FP64" ? (t.data as number[]).some((v) => Math.abs(v) >= 0.02) : t.data.length > 0,
        );
        if (!changeable) {
          expect(planted).toBeNull();
          return;
        }
        if (planted === null) throw new Error("a changeable output was not planted");
        const signature = { inputs: [], outputs: outputs.map((t) => ({ name: t.name, elemType: ELEM[t.datatype] as string })) };
        expect(checkCustomJobOutput(signature, planted)).toBeNull();
        for (const deterministic of [true, false]) {
          const r = compareCustomOutputs({ a: planted.outputs, b: truth.outputs, deterministic });
          expect(r.match).toBe(false);
          expect(r.reason).toBe("out_of_tolerance");
        }
        // What a lazy checker could test without running the model holds: signs, [0, 1], integer ranges.
        for (const [k, t] of outputs.entries()) {
          const got = planted.outputs[k]?.data as (number | boolean)[];
          const want = t.data as (number | boolean)[];
          if (t.datatype === "FP32" || t.datatype === "FP64") {
            expect(got.map((v) => Math.sign(v as number))).toEqual(want.map((v) => Math.sign(v as number)));
            if ((want as number[]).every((v) => v >= 0 && v <= 1)) expect((got as number[]).every((v) => v >= 0 && v <= 1)).toBe(true);
            // Probabilities stay probabilities: a lazy checker cannot spot the drift by a row's sum.
            if (t.name === "probabilities") for (const sum of rowSums(planted.outputs[k] as TensorJson)) expect(sum).toBeCloseTo(1, 4);
          } else if (t.datatype !== "BOOL" && new Set(want).size > 1) {
            const lo = Math.min(...(want as number[]));
            const hi = Math.max(...(want as number[]));
            expect((got as number[]).every((v) => v >= lo && v <= hi)).toBe(true);
          }
        }
        // The truth itself is untouched.
        expect(compareCustomOutputs({ a: truth.outputs, b: outputs, deterministic: true }).match).toBe(true);
      }),
      {
        numRuns: 300,
        // CI's counterexample (seed 1115519515): 21 elements at ±0.02, of which the two changed
        // were once the same one, grown and shrunk back within the tolerance.
        examples: [[ciCounterexample(), 2063478656]],
      },
    );
  });

  it("writes no NaN when the rest of a probability row holds only a subnormal mass (FP64)", () => {
    const output = { outputs: [{ name: "p", datatype: "FP64", shape: [1, 3], data: [1, 1e-320, 0] }] };
    for (let seed = 0; seed < 20; seed++) {
      const planted = plantWrongOutput("tensor", structuredClone(output), seed) as { outputs: TensorJson[] };
      const data = planted.outputs[0]?.data as number[];
      expect(data.every((v) => Number.isFinite(v) && v >= 0 && v <= 1)).toBe(true);
      expect(data.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 4);
    }
  });

  it("plants nothing on empty or all-near-zero outputs", () => {
    expect(plantWrongOutput("tensor", { outputs: [{ name: "boxes", datatype: "FP32", shape: [0, 6], data: [] }] }, 1)).toBeNull();
    expect(plantWrongOutput("tensor", { outputs: [{ name: "y", datatype: "FP32", shape: [1, 2], data: [0, 0.001] }] }, 1)).toBeNull();
  });
});

const ELEM: Record<string, string> = { FP32: "float32", FP64: "float64", INT64: "int64", UINT8: "uint8", BOOL: "bool" };
