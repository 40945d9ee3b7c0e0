import { describe, expect, it } from "vitest";
import { ModelInputError } from "../model-input-error.ts";
import { ort } from "../runtime/session.ts";
import { CustomOutputError, fromOrtTensor, parseInputTensors, type TensorJson, toOrtTensor } from "./tensor-io.ts";
import { affineModel, integerModel } from "./testing/build-onnx.ts";
import { validateOnnx } from "./validate-onnx.ts";

// JSON tensors in and out of a custom model, checked against a real model's signature
// (validateOnnx of a model built here): every refusal names the tensor and what is wrong.

const affine = validateOnnx(affineModel(), { dimBounds: { n: 8 } }).inputs; // x: float32 [n ≤ 8, 3]
const ints = validateOnnx(integerModel()).inputs; // a, b: int32 [2, 2]; c: int64 [3]

const x = (rows: number, extra: Partial<TensorJson> = {}) => ({
  name: "x",
  datatype: "FP32",
  shape: [rows, 3],
  data: Array.from({ length: rows * 3 }, (_, i) => i / 2),
  ...extra,
});

function refusal(inputs: unknown, sig = affine, limits?: { maxElements: number; maxBytes: number }): ModelInputError {
  try {
    parseInputTensors(inputs, sig, limits);
  } catch (err) {
    expect(err).toBeInstanceOf(ModelInputError);
    return err as ModelInputError;
  }
  throw new Error("accepted");
}

describe("parseInputTensors: a request's tensors against the model's declared inputs", () => {
  it("accepts a tensor at any batch from 1 to the bound and returns it as given", () => {
    expect(parseInputTensors([x(1)], affine)).toEqual([x(1)]);
    expect(parseInputTensors([x(8)], affine)[0]?.shape).toEqual([8, 3]);
  });

  it("returns the tensors in the signature's order, whatever order the request gives", () => {
    const t = (name: string, datatype: string, shape: number[]) => ({
      name,
      datatype,
      shape,
      data: new Array(shape.reduce((p, d) => p * d, 1)).fill(1),
    });
    const out = parseInputTensors([t("c", "INT64", [3]), t("b", "INT32", [2, 2]), t("a", "INT32", [2, 2])], ints);
    expect(out.map((o) => o.name)).toEqual(["a", "b", "c"]);
  });

  it("refuses a wrong datatype, naming the tensor and both types", () => {
    expect(refusal([x(2, { datatype: "FP64" })]).message).toBe("input 'x' has datatype FP64; this model takes FP32");
  });

  it("refuses a wrong rank and a wrong fixed dimension", () => {
    expect(refusal([x(2, { shape: [6] })]).message).toMatch(/^input 'x' has rank 1 \(shape \[6\]\); this model takes rank 2, \[≤8, 3\]/);
    expect(refusal([{ ...x(2), shape: [3, 2] }]).message).toMatch(/^input 'x' has shape \[3, 2\]; .*dimension 1 must be 3/);
  });

  it("refuses a dynamic dimension over its bound as too large, and one of 0", () => {
    const over = refusal([x(9)]);
    expect(over.message).toBe("input 'x' dimension 0 ('n') is 9: this model's bound is 8");
    expect(over.tooLarge).toBe(true);
    expect(refusal([x(1, { shape: [0, 3], data: [] })]).message).toMatch(/dimension 0 \('n'\) is 0: at least 1/);
  });

  it("refuses data not as long as the shape, and data that is not flat", () => {
    expect(refusal([x(2, { data: [1, 2, 3, 4, 5] })]).message).toBe("input 'x': shape [2, 3] holds 6 elements but data has 5");
    expect(refusal([x(1, { data: [[1, 2, 3]] as unknown as number[] })]).message).toMatch(/holds 3 elements but data has 1/);
  });

  it("refuses non-finite floats, floats past float32, integers out of range or not whole, and non-booleans", () => {
    expect(refusal([x(1, { data: [0, Number.NaN, 1] })]).message).toMatch(/^input 'x': element 1 is not a finite number/);
    expect(refusal([x(1, { data: [0, 1, 1e39] })]).message).toMatch(/element 2 is not a finite number within float32's range/);
    expect(refusal([x(1, { data: [0, "1", 2] as unknown as number[] })]).message).toMatch(/element 1 is not/);
    const good = { a: [1, 2, 3, 4], b: [0, 0, 0, 0], c: [1, 2, 3] };
    const req = (over: Partial<typeof good>) => {
      const d = { ...good, ...over };
      return [
        { name: "a", datatype: "INT32", shape: [2, 2], data: d.a },
        { name: "b", datatype: "INT32", shape: [2, 2], data: d.b },
        { name: "c", datatype: "INT64", shape: [3], data: d.c },
      ];
    };
    expect(parseInputTensors(req({}), ints)).toHaveLength(3);
    expect(refusal(req({ a: [1, 2, 3, 2 ** 31] }), ints).message).toBe(
      "input 'a': element 3 is not an integer from -2147483648 to 2147483647 (datatype INT32)",
    );
    expect(refusal(req({ b: [0, 0.5, 0, 0] }), ints).message).toMatch(/^input 'b': element 1 is not an integer/);
    expect(refusal(req({ c: [1, 2, 2 ** 53] }), ints).message).toMatch(/^input 'c': element 2 is not an integer from -9007199254740991/);
  });

  it("refuses a missing, unknown, or repeated tensor, and a request that is not a list", () => {
    expect(refusal([]).message).toBe("input 'x' is missing");
    expect(refusal([x(1, { name: "y" })]).message).toMatch(/^input 'y' is not an input of this model \(it takes x\)/);
    expect(refusal([x(1), x(1)]).message).toMatch(/2 input tensors given; this model takes 1/);
    const two = [...affine, { ...(affine[0] as (typeof affine)[0]), name: "x2" }];
    expect(refusal([x(1), x(1)], two).message).toBe("input 'x' is given more than once");
    expect(refusal({ x: x(1) }).message).toMatch(/inputs must be an array/);
    expect(refusal([null]).message).toMatch(/inputs\[0\] is not a tensor/);
  });

  it("refuses a request over the element cap or the byte cap before reading its data, as too large", () => {
    const elements = refusal([x(8)], affine, { maxElements: 23, maxBytes: 1 << 20 });
    expect(elements.message).toBe("input 'x' brings the request to 24 elements: at most 23");
    expect(elements.tooLarge).toBe(true);
    // Over the cap and malformed data: the cap answers first, the data is never walked.
    expect(refusal([x(8, { data: [] })], affine, { maxElements: 23, maxBytes: 1 << 20 }).message).toMatch(/24 elements/);
    expect(refusal([x(8)], affine, { maxElements: 100, maxBytes: 95 }).message).toBe(
      "input 'x' brings the request to 96 bytes: at most 95",
    );
  });
});

describe("toOrtTensor / fromOrtTensor", () => {
  it("round-trips every datatype through onnxruntime tensors", () => {
    const cases: TensorJson[] = [
      { name: "f", datatype: "FP32", shape: [2], data: [0.5, -2] },
      { name: "d", datatype: "FP64", shape: [1], data: [0.1] },
      { name: "b", datatype: "BOOL", shape: [3], data: [true, false, true] },
      { name: "i8", datatype: "INT8", shape: [2], data: [-128, 127] },
      { name: "u8", datatype: "UINT8", shape: [1], data: [255] },
      { name: "i64", datatype: "INT64", shape: [2], data: [-(2 ** 53) + 1, 2 ** 53 - 1] },
      { name: "u64", datatype: "UINT64", shape: [1], data: [2 ** 40] },
      { name: "i32", datatype: "INT32", shape: [1, 1], data: [-7] },
    ];
    for (const c of cases) expect(fromOrtTensor(c.name, toOrtTensor(c))).toEqual(c);
    expect(toOrtTensor(cases[0] as TensorJson).type).toBe("float32");
  });

  it("refuses NaN and ±Infinity in an output, naming the output and element", () => {
    const t = new ort.Tensor("float32", Float32Array.of(1, Number.NEGATIVE_INFINITY), [2]);
    expect(() => fromOrtTensor("logits", t)).toThrow(
      new CustomOutputError("output 'logits': element 1 is -Infinity, which JSON cannot carry"),
    );
    expect(() => fromOrtTensor("p", new ort.Tensor("float64", Float64Array.of(Number.NaN), [1]))).toThrow(/element 0 is NaN/);
  });

  it("refuses an int64 output past 2^53, where a JSON number would round it", () => {
    const t = new ort.Tensor("int64", BigInt64Array.of(1n, 2n ** 60n), [2]);
    expect(() => fromOrtTensor("wide", t)).toThrow(/output 'wide': element 1 is 1152921504606846976, beyond ±\(2\^53 − 1\)/);
  });

  it("refuses an output over the element cap and element types JSON tensors do not carry", () => {
    expect(() => fromOrtTensor("y", new ort.Tensor("float32", new Float32Array(10), [10]), 9)).toThrow(/has 10 elements .*at most 9/);
    expect(() => fromOrtTensor("h", new ort.Tensor("float16", new Uint16Array(1), [1]))).toThrow(/element type float16/);
  });
});
