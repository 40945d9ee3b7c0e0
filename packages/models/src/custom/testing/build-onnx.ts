/**
 * Small real ONNX models for the custom-model tests (issue 17), built with onnx-proto the way
 * validate-onnx.test.ts and sandbox-run.test.ts build theirs: each is a graph onnxruntime
 * really runs, simple enough that a test computes the expected numbers by hand.
 */
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;
export const ELEM = onnx.TensorProto.DataType;

type Dim = number | string;

export const valueInfo = (name: string, elemType: number, dims: readonly Dim[]) => ({
  name,
  type: {
    tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) } },
  },
});

/** The graph as a ModelProto at `opset`; `domain` adds a custom operator domain's opset (hostile models). */
export function encodeModel(graph: onnxProto.onnx.IGraphProto, opset = 17, opts: { domain?: string } = {}): Uint8Array {
  const opsetImport = [{ domain: "", version: opset }, ...(opts.domain ? [{ domain: opts.domain, version: 1 }] : [])];
  return onnx.ModelProto.encode({ irVersion: 8, opsetImport, graph }).finish();
}

/** The weight of `affineModel`'s MatMul: 3×2, row-major. */
export const AFFINE_W = [1, 2, 3, 4, 5, 6] as const;

/**
 * Two float outputs from x float [n, 3] (n a dynamic dimension named "n"):
 * `plus_one` = x + 1 ([n, 3]) and `mat` = x · W ([n, 2], W = AFFINE_W as 3×2).
 */
export function affineModel(): Uint8Array {
  return encodeModel({
    name: "affine",
    node: [
      { opType: "Add", input: ["x", "one"], output: ["plus_one"] },
      { opType: "MatMul", input: ["x", "w"], output: ["mat"] },
    ],
    initializer: [
      { name: "one", dataType: ELEM.FLOAT, dims: [], floatData: [1] },
      { name: "w", dataType: ELEM.FLOAT, dims: [3, 2], floatData: [...AFFINE_W] },
    ],
    input: [valueInfo("x", ELEM.FLOAT, ["n", 3])],
    output: [valueInfo("plus_one", ELEM.FLOAT, ["n", 3]), valueInfo("mat", ELEM.FLOAT, ["n", 2])],
  });
}

/**
 * Integer and boolean outputs from x float [n, 4]: `label` = argmax over the last axis (int64
 * [n]) and `positive` = x > 0 (bool [n, 4]).
 */
export function argMaxModel(): Uint8Array {
  return encodeModel({
    name: "argmax",
    node: [
      {
        opType: "ArgMax",
        input: ["x"],
        output: ["label"],
        attribute: [
          { name: "axis", type: onnx.AttributeProto.AttributeType.INT, i: 1 },
          { name: "keepdims", type: onnx.AttributeProto.AttributeType.INT, i: 0 },
        ],
      },
      { opType: "Greater", input: ["x", "zero"], output: ["positive"] },
    ],
    initializer: [{ name: "zero", dataType: ELEM.FLOAT, dims: [], floatData: [0] }],
    input: [valueInfo("x", ELEM.FLOAT, ["n", 4])],
    output: [valueInfo("label", ELEM.INT64, ["n"]), valueInfo("positive", ELEM.BOOL, ["n", 4])],
  });
}

/** Two integer inputs, fixed shapes: `sum` = a + b, int32 [2, 2]; `wide` = c · 2^40, int64 [3]. */
export function integerModel(): Uint8Array {
  return encodeModel({
    name: "integers",
    node: [
      { opType: "Add", input: ["a", "b"], output: ["sum"] },
      { opType: "Mul", input: ["c", "scale"], output: ["wide"] },
    ],
    initializer: [{ name: "scale", dataType: ELEM.INT64, dims: [], int64Data: [2 ** 40] }],
    input: [valueInfo("a", ELEM.INT32, [2, 2]), valueInfo("b", ELEM.INT32, [2, 2]), valueInfo("c", ELEM.INT64, [3])],
    output: [valueInfo("sum", ELEM.INT32, [2, 2]), valueInfo("wide", ELEM.INT64, [3])],
  });
}

/** `y` = log(x), float [4]: log(0) is −Infinity and log(−1) NaN, outputs JSON cannot carry. */
export function logModel(): Uint8Array {
  return encodeModel({
    name: "log",
    node: [{ opType: "Log", input: ["x"], output: ["y"] }],
    input: [valueInfo("x", ELEM.FLOAT, [4])],
    output: [valueInfo("y", ELEM.FLOAT, [4])],
  });
}

// The upload tests' models: a good one whose bytes vary with `salt` (an initializer holds
// it, so a test can make as many distinct models as it needs), and hostile kinds the upload
// must refuse.

/** y = relu(x + b), x and y float32 [1, 4]; `salt` goes into b. Runs in onnxruntime. */
export function goodModel(salt = 0): Uint8Array {
  return encodeModel({
    name: "good",
    node: [
      { opType: "Add", input: ["x", "b"], output: ["s"] },
      { opType: "Relu", input: ["s"], output: ["y"] },
    ],
    initializer: [{ name: "b", dataType: ELEM.FLOAT, dims: [4], floatData: [salt, 0, 0, 0] }],
    input: [valueInfo("x", ELEM.FLOAT, [1, 4])],
    output: [valueInfo("y", ELEM.FLOAT, [1, 4])],
  });
}

/** A model whose weight lives in another file: `../../etc/passwd`. */
export function externalDataModel(): Uint8Array {
  return encodeModel({
    name: "external",
    node: [{ opType: "Add", input: ["x", "w"], output: ["y"] }],
    initializer: [
      {
        name: "w",
        dataType: ELEM.FLOAT,
        dims: [4],
        dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
        externalData: [{ key: "location", value: "../../etc/passwd" }],
      },
    ],
    input: [valueInfo("x", ELEM.FLOAT, [1, 4])],
    output: [valueInfo("y", ELEM.FLOAT, [1, 4])],
  });
}

/** An operator of a custom domain (`com.evil`), which onnxruntime-node does not ship. */
export function customDomainModel(): Uint8Array {
  return encodeModel(
    {
      name: "custom",
      node: [{ opType: "Exfiltrate", domain: "com.evil", input: ["x"], output: ["y"] }],
      input: [valueInfo("x", ELEM.FLOAT, [1, 4])],
      output: [valueInfo("y", ELEM.FLOAT, [1, 4])],
    },
    17,
    { domain: "com.evil" },
  );
}

/** The classes of `colourModel`, in its output's order. */
export const COLOUR_LABELS = ["red", "green", "blue"] as const;

/**
 * An image classifier for the processing menu's tests: `pixel_values` float32 [batch, 3, 8, 8]
 * → `logits` float32 [batch, 3], each channel's mean times 4 (GlobalAveragePool, Flatten, a
 * diagonal MatMul). Fed a normalised RGB image, its most probable class is the image's
 * strongest colour.
 */
export function colourModel(): Uint8Array {
  return encodeModel({
    name: "colour",
    node: [
      { opType: "GlobalAveragePool", input: ["pixel_values"], output: ["pooled"] },
      { opType: "Flatten", input: ["pooled"], output: ["flat"] },
      { opType: "MatMul", input: ["flat", "w"], output: ["logits"] },
    ],
    initializer: [{ name: "w", dataType: ELEM.FLOAT, dims: [3, 3], floatData: [4, 0, 0, 0, 4, 0, 0, 0, 4] }],
    input: [valueInfo("pixel_values", ELEM.FLOAT, ["batch", 3, 8, 8])],
    output: [valueInfo("logits", ELEM.FLOAT, ["batch", 3])],
  });
}

/**
 * A text model for the processing menu's tests: `input_ids` and `attention_mask` int64
 * [1, seq] → `ids` (the token ids as they came) and `tokens` (the mask's sum, int64 [1]).
 */
export function tokenModel(): Uint8Array {
  return encodeModel({
    name: "tokens",
    node: [
      { opType: "Identity", input: ["input_ids"], output: ["ids"] },
      { opType: "ReduceSum", input: ["attention_mask", "axis"], output: ["tokens"], attribute: [{ name: "keepdims", i: 0, type: 2 }] },
    ],
    initializer: [{ name: "axis", dataType: ELEM.INT64, dims: [1], int64Data: [1] }],
    input: [valueInfo("input_ids", ELEM.INT64, [1, "seq"]), valueInfo("attention_mask", ELEM.INT64, [1, "seq"])],
    output: [valueInfo("ids", ELEM.INT64, [1, "seq"]), valueInfo("tokens", ELEM.INT64, [1])],
  });
}
