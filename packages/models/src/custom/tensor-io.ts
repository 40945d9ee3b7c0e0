/**
 * A custom model's inputs and outputs as JSON tensors (issue 17), in the Open Inference
 * Protocol v2 form the platform's OIP endpoint already speaks (apps/web/src/server/services/oip):
 * `{ name, datatype, shape, data }`, data flat and row-major. A client that can call a
 * catalog model through OIP can call a custom one with the same tensors.
 *
 * Inputs are checked against the model's signature (validate-onnx.ts) before a byte reaches
 * onnxruntime: each declared input exactly once, its datatype the declared element type, its
 * rank the declared rank, each dimension the fixed size or, for a dynamic one, from 1 to its
 * bound, the data exactly as long as the shape says, every element a finite number (integers
 * in their type's range) or a boolean, and the request under an element and a byte cap.
 * Every refusal is a ModelInputError naming the tensor and the problem.
 *
 * What is not supported, and why: FP16 (Node 20, which runs the workers, has no Float16Array, and a
 * conversion that rounds exactly like onnxruntime is not worth its risk here; a model with a
 * float16 input or output is refused when its pipeline is created) and BYTES/string tensors
 * (no tokenizer menu yet). Nested `data` (OIP allows it) is not accepted: data is flat.
 *
 * Outputs go back the same way. NaN and ±Infinity are refused (CustomOutputError), not
 * encoded: JSON has no number for them, and an encoding (strings, null) would make `data` a
 * union every client and the output comparison must special-case. int64/uint64 outputs come
 * back as numbers when they are within ±(2^53 − 1), which JSON numbers carry exactly;
 * otherwise refused. Both refusals are the model's behaviour on that input, so they are
 * deterministic: a retry elsewhere gives the same answer.
 */
import { ort } from "../runtime/session.ts";
import { CustomOutputError, DEFAULT_TENSOR_LIMITS, datatypeOf, elementCount, type TensorJson } from "./tensor-check.ts";

export * from "./tensor-check.ts";

const shapeText = (shape: readonly unknown[]) => `[${shape.map(String).join(", ")}]`;
const quote = (s: string) => `'${s.slice(0, 80)}'`;

/** A checked tensor as onnxruntime takes it. */
export function toOrtTensor(t: TensorJson): ort.Tensor {
  const dims = t.shape;
  const nums = t.data as number[];
  switch (t.datatype) {
    case "BOOL":
      return new ort.Tensor(
        "bool",
        Uint8Array.from(t.data as boolean[], (b) => (b ? 1 : 0)),
        dims,
      );
    case "UINT8":
      return new ort.Tensor("uint8", Uint8Array.from(nums), dims);
    case "UINT16":
      return new ort.Tensor("uint16", Uint16Array.from(nums), dims);
    case "UINT32":
      return new ort.Tensor("uint32", Uint32Array.from(nums), dims);
    case "UINT64":
      return new ort.Tensor("uint64", BigUint64Array.from(nums, BigInt), dims);
    case "INT8":
      return new ort.Tensor("int8", Int8Array.from(nums), dims);
    case "INT16":
      return new ort.Tensor("int16", Int16Array.from(nums), dims);
    case "INT32":
      return new ort.Tensor("int32", Int32Array.from(nums), dims);
    case "INT64":
      return new ort.Tensor("int64", BigInt64Array.from(nums, BigInt), dims);
    case "FP32":
      return new ort.Tensor("float32", Float32Array.from(nums), dims);
    case "FP64":
      return new ort.Tensor("float64", Float64Array.from(nums), dims);
  }
}

/**
 * An onnxruntime output as a JSON tensor. Refuses (CustomOutputError) element types JSON
 * does not carry here, NaN/±Infinity, 64-bit integers past ±(2^53 − 1), and more than
 * `maxElements` elements (a data-dependent output shape can outgrow what validation saw).
 */
export function fromOrtTensor(name: string, t: ort.Tensor, maxElements = DEFAULT_TENSOR_LIMITS.maxElements): TensorJson {
  const what = `output ${quote(name)}`;
  const datatype = datatypeOf(t.type);
  if (datatype === null) throw new CustomOutputError(`${what} has element type ${t.type}, which custom models cannot return`);
  const shape = t.dims.map(Number);
  const n = elementCount(shape);
  if (n > maxElements) throw new CustomOutputError(`${what} has ${n} elements (shape ${shapeText(shape)}): at most ${maxElements}`);
  const raw = t.data;
  if (typeof raw === "string" || Array.isArray(raw) || raw.length !== n) {
    throw new CustomOutputError(`${what}: onnxruntime returned ${raw.length} elements for shape ${shapeText(shape)}`);
  }
  if (datatype === "BOOL") return { name, datatype, shape, data: Array.from(raw as Uint8Array, (v) => v !== 0) };
  const data = new Array<number>(n);
  if (datatype === "INT64" || datatype === "UINT64") {
    const big = raw as BigInt64Array | BigUint64Array;
    for (let i = 0; i < n; i++) {
      const v = big[i] as bigint;
      if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
        throw new CustomOutputError(`${what}: element ${i} is ${v}, beyond ±(2^53 − 1), which a JSON number carries exactly`);
      }
      data[i] = Number(v);
    }
  } else {
    const nums = raw as Exclude<typeof raw, BigInt64Array | BigUint64Array | Uint8Array | string | string[]> | Uint8Array;
    for (let i = 0; i < n; i++) {
      const v = nums[i] as number;
      if (!Number.isFinite(v)) throw new CustomOutputError(`${what}: element ${i} is ${v}, which JSON cannot carry`);
      data[i] = v;
    }
  }
  return { name, datatype, shape, data };
}
