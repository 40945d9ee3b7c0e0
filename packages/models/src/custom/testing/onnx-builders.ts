/**
 * Small ONNX models built in tests (issue 17), encoded with onnx-proto: a good one, and the
 * hostile kinds the upload must refuse. Each call with another `salt` gives other bytes (an
 * initializer holds it), so a test can make as many distinct models as it needs.
 */
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;

const info = (name: string, dims: number[]) => ({
  name,
  type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
});

function encode(graph: onnxProto.onnx.IGraphProto, opts: { domain?: string } = {}): Uint8Array {
  const opsetImport = [{ domain: "", version: 17 }, ...(opts.domain ? [{ domain: opts.domain, version: 1 }] : [])];
  return onnx.ModelProto.encode({ irVersion: 8, opsetImport, graph }).finish();
}

/** y = relu(x + b), x and y float32 [1, 4]; `salt` goes into b. Runs in onnxruntime. */
export function goodModel(salt = 0): Uint8Array {
  return encode({
    name: "good",
    node: [
      { opType: "Add", input: ["x", "b"], output: ["s"] },
      { opType: "Relu", input: ["s"], output: ["y"] },
    ],
    initializer: [{ name: "b", dataType: FLOAT, dims: [4], floatData: [salt, 0, 0, 0] }],
    input: [info("x", [1, 4])],
    output: [info("y", [1, 4])],
  });
}

/** A model whose weight lives in another file: `../../etc/passwd`. */
export function externalDataModel(): Uint8Array {
  return encode({
    name: "external",
    node: [{ opType: "Add", input: ["x", "w"], output: ["y"] }],
    initializer: [
      {
        name: "w",
        dataType: FLOAT,
        dims: [4],
        dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
        externalData: [{ key: "location", value: "../../etc/passwd" }],
      },
    ],
    input: [info("x", [1, 4])],
    output: [info("y", [1, 4])],
  });
}

/** An operator of a custom domain (`com.evil`), which onnxruntime-node does not ship. */
export function customDomainModel(): Uint8Array {
  return encode(
    {
      name: "custom",
      node: [{ opType: "Exfiltrate", domain: "com.evil", input: ["x"], output: ["y"] }],
      input: [info("x", [1, 4])],
      output: [info("y", [1, 4])],
    },
    { domain: "com.evil" },
  );
}
