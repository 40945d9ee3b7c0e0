import onnxProto from "onnx-proto";
import { describe, expect, it } from "vitest";
import { runInSandbox } from "./sandbox-run.ts";
import type { TensorSignature } from "./validate-onnx.ts";

// The sandbox through real child processes running real onnxruntime: a good model's run is
// reported; a model that allocates past the memory limit, one that never ends, and one
// onnxruntime cannot load are each refused by reason, and this process is unharmed.

const { onnx } = onnxProto;
const T = onnx.TensorProto.DataType;
const A = onnx.AttributeProto.AttributeType;
const info = (name: string, elemType: number, dims: number[]) => ({
  name,
  type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
});
const encode = (graph: onnxProto.onnx.IGraphProto) =>
  onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ domain: "", version: 17 }], graph }).finish();
const X: TensorSignature[] = [{ name: "x", elemType: "float32", shape: [1, 4], dynamic: {} }];

describe("runInSandbox: an uploaded model run once in a child process with limits", () => {
  it("runs a good model twice on zeros and reports its outputs, timing and determinism", async () => {
    const bytes = encode({
      name: "g",
      node: [{ opType: "Relu", input: ["x"], output: ["y"] }],
      input: [info("x", T.FLOAT, [1, 4])],
      output: [info("y", T.FLOAT, [1, 4])],
    });
    const r = await runInSandbox({ bytes }, X, { memoryBytes: 1024 ** 3, timeoutMs: 30_000 });
    expect(r).toMatchObject({ ok: true, outputs: [{ name: "y", type: "float32", dims: [1, 4] }], deterministic: true });
    if (r.ok) expect(r.runMs).toHaveLength(2);
  });

  it("kills a model that allocates past the memory limit, and says so", async () => {
    // ConstantOfShape of 256 Mi floats: 1 GiB, against a 200 MB limit.
    const bytes = encode({
      name: "hog",
      node: [
        { opType: "ConstantOfShape", input: ["shape"], output: ["big"] },
        { opType: "Add", input: ["x1", "big"], output: ["y"] },
      ],
      initializer: [{ name: "shape", dataType: T.INT64, dims: [1], int64Data: [256 * 1024 * 1024] }],
      input: [info("x1", T.FLOAT, [1])],
      output: [info("y", T.FLOAT, [256 * 1024 * 1024])],
    });
    const r = await runInSandbox({ bytes }, [{ name: "x1", elemType: "float32", shape: [1], dynamic: {} }], {
      memoryBytes: 200 * 1024 * 1024,
      timeoutMs: 60_000,
    });
    expect(r).toMatchObject({ ok: false, reason: "memory", message: expect.stringMatching(/memory limit of 209715200 bytes/) });
    expect(r.peakRssBytes).toBeGreaterThan(200 * 1024 * 1024);
  });

  it("kills a model that runs past the time limit (a Loop of 10^12 turns)", async () => {
    const body: onnxProto.onnx.IGraphProto = {
      name: "body",
      node: [
        { opType: "Identity", input: ["cond_in"], output: ["cond_out"] },
        { opType: "Add", input: ["v_in", "v_in"], output: ["v_out"] },
      ],
      input: [info("i", T.INT64, []), info("cond_in", T.BOOL, []), info("v_in", T.FLOAT, [1, 4])],
      output: [info("cond_out", T.BOOL, []), info("v_out", T.FLOAT, [1, 4])],
    };
    const bytes = encode({
      name: "hang",
      node: [{ opType: "Loop", input: ["m", "c", "x"], output: ["y"], attribute: [{ name: "body", type: A.GRAPH, g: body }] }],
      initializer: [
        { name: "m", dataType: T.INT64, dims: [], int64Data: [1_000_000_000_000] },
        { name: "c", dataType: T.BOOL, dims: [], int32Data: [1] },
      ],
      input: [info("x", T.FLOAT, [1, 4])],
      output: [info("y", T.FLOAT, [1, 4])],
    });
    const started = Date.now();
    const r = await runInSandbox({ bytes }, X, { memoryBytes: 1024 ** 3, timeoutMs: 3_000 });
    expect(r).toMatchObject({ ok: false, reason: "time", message: "it ran past the time limit of 3000 ms" });
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it("reports a model onnxruntime cannot load, with onnxruntime's reason", async () => {
    // Add of a float and an int64: the types do not match.
    const bytes = encode({
      name: "bad",
      node: [{ opType: "Add", input: ["x", "k"], output: ["y"] }],
      initializer: [{ name: "k", dataType: T.INT64, dims: [1], int64Data: [1] }],
      input: [info("x", T.FLOAT, [1, 4])],
      output: [info("y", T.FLOAT, [1, 4])],
    });
    const r = await runInSandbox({ bytes }, X, { memoryBytes: 1024 ** 3, timeoutMs: 30_000 });
    expect(r).toMatchObject({ ok: false, reason: "load", message: expect.stringMatching(/^onnxruntime refused it: .*(type|Type)/) });
  });
});
