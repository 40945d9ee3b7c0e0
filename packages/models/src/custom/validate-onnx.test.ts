import onnxProto from "onnx-proto";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { ONNX_LIMITS, OnnxValidationError, validateOnnx } from "./validate-onnx.ts";

const { onnx } = onnxProto;
type Graph = onnxProto.onnx.IGraphProto;

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const valueInfo = (name: string, dims: (number | string)[]) => ({
  name,
  type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) } } },
});
const weight = (name: string, extra: Partial<onnxProto.onnx.ITensorProto> = {}) => ({
  name,
  dataType: FLOAT,
  dims: [4],
  floatData: [1, 2, 3, 4],
  ...extra,
});

/** A small real model: y = relu(x + w), x float [n, 4]. */
function model(opts: { graph?: Partial<Graph>; opset?: number; extra?: Partial<onnxProto.onnx.IModelProto> } = {}): Uint8Array {
  const graph: Graph = {
    name: "g",
    node: [
      { opType: "Add", input: ["x", "w"], output: ["s"] },
      { opType: "Relu", input: ["s"], output: ["y"] },
    ],
    initializer: [weight("w")],
    input: [valueInfo("x", ["n", 4])],
    output: [valueInfo("y", ["n", 4])],
    ...opts.graph,
  };
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: "", version: opts.opset ?? 17 }],
    graph,
    ...opts.extra,
  }).finish();
}

const refusal = (bytes: Uint8Array, dimBounds: Record<string, number> = { n: 64 }) => {
  try {
    validateOnnx(bytes, { dimBounds });
    return "accepted";
  } catch (err) {
    expect(err).toBeInstanceOf(OnnxValidationError);
    return (err as Error).message;
  }
};

describe("validateOnnx: an uploaded model checked before anything runs it", () => {
  it("accepts a real model and returns its signature, its dynamic dimension at the bound given", async () => {
    const bytes = model();
    // It is a model onnxruntime really runs.
    const session = await ort.InferenceSession.create(bytes);
    const out = await session.run({ x: new ort.Tensor("float32", Float32Array.from([-5, 0, 1, 2]), [1, 4]) });
    expect(Array.from(out.y?.data as Float32Array)).toEqual([0, 2, 4, 6]);
    await session.release();
    expect(validateOnnx(bytes, { dimBounds: { n: 64 } })).toEqual({
      opset: 17,
      nodes: 2,
      operators: { Add: 1, Relu: 1 },
      inputs: [{ name: "x", elemType: "float32", shape: [64, 4], dynamic: { 0: "n" } }],
      outputs: [{ name: "y", elemType: "float32" }],
    });
  });

  it("refuses external data anywhere, naming the path it points at", () => {
    const external = {
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [{ key: "location", value: "../../etc/passwd" }],
      floatData: [],
    };
    expect(refusal(model({ graph: { initializer: [weight("w", external)] } }))).toMatch(/external data at '\.\.\/\.\.\/etc\/passwd'/);
    // Hidden in a subgraph: If's then-branch holds the tensor.
    const branch: Graph = {
      name: "b",
      node: [{ opType: "Identity", input: ["w2"], output: ["o"] }],
      initializer: [weight("w2", external)],
      output: [valueInfo("o", [4])],
    };
    const withIf = model({
      graph: {
        node: [
          {
            opType: "ReduceSum",
            input: ["x"],
            output: ["r"],
            attribute: [{ name: "keepdims", type: onnx.AttributeProto.AttributeType.INT, i: 0 }],
          },
          { opType: "Cast", input: ["r"], output: ["c"], attribute: [{ name: "to", type: onnx.AttributeProto.AttributeType.INT, i: 9 }] },
          {
            opType: "If",
            input: ["c"],
            output: ["y"],
            attribute: [
              { name: "then_branch", type: onnx.AttributeProto.AttributeType.GRAPH, g: branch },
              { name: "else_branch", type: onnx.AttributeProto.AttributeType.GRAPH, g: { ...branch, initializer: [weight("w2")] } },
            ],
          },
        ],
      },
    });
    expect(refusal(withIf)).toMatch(/'w2' \(graph\/If\.then_branch initializer\) refers to external data/);
  });

  it("refuses custom operator domains, local functions and opsets outside the range", () => {
    const custom = model({ graph: { node: [{ opType: "Backdoor", domain: "com.evil", input: ["x"], output: ["y"] }] } });
    expect(refusal(custom)).toMatch(/Backdoor is in the custom domain 'com.evil'/);
    const imported = onnx.ModelProto.decode(model());
    imported.opsetImport.push(onnx.OperatorSetIdProto.create({ domain: "com.evil", version: 1 }));
    expect(refusal(onnx.ModelProto.encode(imported).finish())).toMatch(/imports the custom operator domain 'com.evil'/);
    expect(refusal(model({ extra: { functions: [{ name: "f", domain: "local", node: [] }] } }))).toMatch(/local functions/);
    expect(refusal(model({ opset: 3 }))).toMatch(/opset is 3/);
    expect(refusal(model({ opset: 99 }))).toMatch(/opset is 99/);
  });

  it("refuses a 10 000-node graph as too large", () => {
    const node = Array.from({ length: 10_000 }, (_, i) => ({
      opType: "Identity",
      input: [i === 0 ? "x" : `t${i - 1}`],
      output: [i === 9_999 ? "y" : `t${i}`],
    }));
    let err: unknown;
    try {
      validateOnnx(model({ graph: { node, initializer: [] } }), { dimBounds: { n: 1 } });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ message: `the graph has more than ${ONNX_LIMITS.maxNodes} nodes`, tooLarge: true });
  });

  it("refuses a truncated file, a file that is not ONNX, and an empty one", () => {
    const bytes = model();
    expect(refusal(bytes.subarray(0, Math.floor(bytes.length / 2)))).toMatch(/not an ONNX model/);
    expect(refusal(new TextEncoder().encode("<html>not a model</html>"))).toMatch(/not an ONNX model/);
    expect(refusal(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toMatch(/not an ONNX model/);
    expect(refusal(new Uint8Array(0))).toMatch(/not an ONNX model/);
  });

  it("wants a bound for every dynamic dimension, within the limits", () => {
    expect(refusal(model(), {})).toMatch(/dimension 0 \('n'\) is dynamic with no bound/);
    expect(refusal(model(), { n: 0 })).toMatch(/must be an integer from 1/);
    expect(refusal(model(), { n: 20_000_000 })).toMatch(/must be an integer from 1 to 1000000/);
    // 1 000 000 × 4 × 20 elements is over the per-input bound.
    const wide = model({ graph: { input: [valueInfo("x", ["n", 4, 20])], output: [valueInfo("y", ["n", 4, 20])] } });
    expect(refusal(wide, { n: 1_000_000 })).toMatch(/holds up to 80000000 elements/);
  });
});
