import { describe, expect, it } from "vitest";
import { ModelInputError } from "../model-input-error.ts";
import { compareModelOutputs } from "./compare-model-outputs.ts";
import { checkCustomJobInput, checkCustomJobOutput } from "./custom-job-io.ts";

// A custom job at the platform's gates: its input at submit (checked and priced), a worker's
// output at completion (the declared outputs, well formed), and the comparison a checker and
// the platform both make (catalog kind or tensors, by the slug).

const signature = {
  inputs: [{ name: "x", elemType: "float32", shape: [8, 4], dynamic: { 0: "batch" } }],
  outputs: [
    { name: "y", elemType: "float32" },
    { name: "label", elemType: "int64" },
    { name: "ok", elemType: "bool" },
  ],
};
const x = (rows: number) => ({
  inputs: [{ name: "x", datatype: "FP32", shape: [rows, 4], data: Array.from({ length: rows * 4 }, (_, i) => i) }],
});
const good = {
  outputs: [
    { name: "y", datatype: "FP32", shape: [2, 1], data: [0.5, -1] },
    { name: "label", datatype: "INT64", shape: [2], data: [3, 0] },
    { name: "ok", datatype: "BOOL", shape: [2], data: [true, false] },
  ],
};
const withOutput = (i: number, t: Record<string, unknown>) => ({ outputs: good.outputs.map((o, k) => (k === i ? { ...o, ...t } : o)) });

describe("checkCustomJobInput", () => {
  it("prices by elements against the reference at the bounds, never below 1", () => {
    expect(checkCustomJobInput(signature, 800, x(8)).costMilliCu).toBe(800);
    expect(checkCustomJobInput(signature, 800, x(2)).costMilliCu).toBe(200);
    expect(checkCustomJobInput(signature, 1, x(1)).costMilliCu).toBe(1);
  });

  it("refuses input off the signature with a ModelInputError naming the tensor; past a bound is 'too large'", () => {
    const refusal = (input: unknown) => {
      try {
        checkCustomJobInput(signature, 800, input);
      } catch (err) {
        expect(err).toBeInstanceOf(ModelInputError);
        return err as ModelInputError;
      }
      throw new Error("accepted");
    };
    expect(refusal(x(9))).toMatchObject({ tooLarge: true, message: expect.stringMatching(/'x' dimension 0 \('batch'\) is 9/) });
    expect(refusal({ inputs: [{ name: "x", datatype: "FP64", shape: [1, 4], data: [1, 2, 3, 4] }] }).message).toMatch(
      /'x' has datatype FP64/,
    );
    expect(refusal("x").message).toMatch(/must be an object/);
    expect(refusal({}).message).toMatch(/inputs must be an array/);
  });
});

describe("checkCustomJobOutput", () => {
  it("accepts the declared outputs in order, each well formed", () => {
    expect(checkCustomJobOutput(signature, good)).toBeNull();
  });

  it("names what is wrong with anything else", () => {
    const cases: [unknown, RegExp][] = [
      [null, /not an object/],
      [{ vectors: [] }, /no outputs list/],
      [{ outputs: good.outputs.slice(0, 2) }, /2 outputs; the model has 3/],
      [{ outputs: [good.outputs[1], good.outputs[0], good.outputs[2]] }, /output 0 is 'label'; the model's is 'y'/],
      [withOutput(0, { datatype: "FP64" }), /'y' has datatype FP64; the model's is FP32/],
      [withOutput(0, { shape: [2, -1] }), /'y' has no valid shape/],
      [withOutput(0, { data: [0.5] }), /'y': data is not 2 elements long/],
      [withOutput(0, { data: [0.5, "1"] }), /'y': element 1 is not a value of FP32/],
      [withOutput(1, { data: [3, 0.5] }), /'label': element 1/],
      [withOutput(1, { data: [3, 2 ** 60] }), /'label': element 1/],
      [withOutput(2, { data: [true, 0] }), /'ok': element 1/],
      [withOutput(0, { shape: [4096, 4096, 2], data: [] }), /more than/],
    ];
    for (const [output, reason] of cases) expect(checkCustomJobOutput(signature, output)).toMatch(reason);
  });
});

describe("compareModelOutputs", () => {
  it("compares an uploaded model's tensors within the tolerance its determinism flag chooses", () => {
    const off = withOutput(0, { data: [0.5, -1.005] });
    expect(compareModelOutputs({ slug: "custom-0123456789ab", a: good, b: good, custom: { deterministic: true } })).toEqual({
      match: true,
      reason: "ok",
      metrics: {},
    });
    // 0.005 off at −1: past 1e-4 + 1e-3, within 1e-3 + 1e-2.
    const strict = compareModelOutputs({ slug: "custom-0123456789ab", a: off, b: good, custom: { deterministic: true } });
    expect(strict).toMatchObject({ match: false, reason: "out_of_tolerance", metrics: { worstIndex: 1 } });
    expect(strict.metrics.worstAbsDiff).toBeCloseTo(0.005, 9);
    expect(compareModelOutputs({ slug: "custom-0123456789ab", a: off, b: good, custom: { deterministic: false } }).match).toBe(true);
    // An integer label off by one is another answer, whatever the flag.
    expect(compareModelOutputs({ slug: "custom-0123456789ab", a: withOutput(1, { data: [2, 0] }), b: good }).reason).toBe(
      "out_of_tolerance",
    );
  });

  it("never throws on a malformed side: a mismatch", () => {
    for (const bad of [null, "x", { outputs: "no" }, { outputs: [{ name: "y" }] }]) {
      expect(compareModelOutputs({ slug: "custom-0123456789ab", a: bad, b: good }).match).toBe(false);
      expect(compareModelOutputs({ slug: "custom-0123456789ab", a: good, b: bad }).match).toBe(false);
    }
  });

  it("compares a catalog model by its kind, as before", () => {
    const vad = { segments: [{ start: 0.1, end: 0.9 }], durationSec: 1 };
    expect(compareModelOutputs({ slug: "vad-silero-v5", a: vad, b: vad }).match).toBe(true);
    expect(compareModelOutputs({ slug: "vad-silero-v5", a: { segments: [], durationSec: 1 }, b: vad }).match).toBe(false);
  });
});
