/**
 * A job on an uploaded model (issue 17) at the platform's two gates, with no onnxruntime in
 * the process: its input at submit (checked against the signature and priced) and a worker's
 * output at completion (the outputs the signature declares, each a well-formed JSON tensor of
 * its declared datatype). The job's input is `{ inputs: [tensor, ...] }` and its output
 * `{ outputs: [tensor, ...] }`, the form createCustomPipeline takes and returns.
 */
import { ModelInputError } from "../model-input-error.ts";
import { customJobCostMilliCu } from "./custom-cost.ts";
import { DEFAULT_TENSOR_LIMITS, datatypeOf, elementCount, parseInputTensors } from "./tensor-check.ts";
import { INT_RANGES } from "./tensor-ranges.ts";
import type { TensorSignature } from "./validate-onnx.ts";

export interface CustomJobSignature {
  inputs: readonly TensorSignature[];
  outputs: readonly Pick<TensorSignature, "name" | "elemType">[];
}

/**
 * The job's input checked against the model's inputs (a ModelInputError naming the tensor),
 * and its cost in milli-CU scaled from the reference run's `baseCostMilliCu`.
 */
export function checkCustomJobInput(signature: CustomJobSignature, baseCostMilliCu: number, input: unknown): { costMilliCu: number } {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new ModelInputError("input must be an object {inputs: [{name, datatype, shape, data}, ...]}");
  }
  const tensors = parseInputTensors((input as { inputs?: unknown }).inputs, signature.inputs);
  return { costMilliCu: customJobCostMilliCu(signature, baseCostMilliCu, { inputs: tensors }) };
}

const MAX_OUTPUT_ELEMENTS = DEFAULT_TENSOR_LIMITS.maxElements;

/**
 * Why `output` is not one the model could have returned, or null: exactly the declared
 * outputs in their order, each with its declared datatype, a shape of non-negative integers,
 * data as long as the shape and every element of the datatype (finite numbers, integers in
 * range, booleans), at most the pipeline's element cap in all. A worker's output is untrusted.
 */
export function checkCustomJobOutput(signature: CustomJobSignature, output: unknown): string | null {
  if (typeof output !== "object" || output === null) return "the output is not an object {outputs: [...]}";
  const outputs = (output as { outputs?: unknown }).outputs;
  if (!Array.isArray(outputs)) return "the output has no outputs list";
  const want = signature.outputs;
  if (outputs.length !== want.length)
    return `${outputs.length} outputs; the model has ${want.length} (${want.map((o) => o.name).join(", ")})`;
  let total = 0;
  for (const [i, sig] of want.entries()) {
    const t = outputs[i] as Record<string, unknown> | null;
    if (typeof t !== "object" || t === null) return `output ${i} is not a tensor`;
    if (t.name !== sig.name) return `output ${i} is '${String(t.name).slice(0, 80)}'; the model's is '${sig.name}'`;
    const datatype = datatypeOf(sig.elemType);
    if (t.datatype !== datatype) return `output '${sig.name}' has datatype ${String(t.datatype).slice(0, 20)}; the model's is ${datatype}`;
    const shape = t.shape;
    if (!Array.isArray(shape) || shape.length > 64 || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      return `output '${sig.name}' has no valid shape`;
    }
    const n = elementCount(shape as number[]);
    total += n;
    if (total > MAX_OUTPUT_ELEMENTS) return `the outputs hold more than ${MAX_OUTPUT_ELEMENTS} elements`;
    const data = t.data;
    if (!Array.isArray(data) || data.length !== n) return `output '${sig.name}': data is not ${n} elements long`;
    const range = INT_RANGES[datatype ?? ""];
    for (let k = 0; k < n; k++) {
      const e = data[k];
      const ok =
        datatype === "BOOL"
          ? typeof e === "boolean"
          : typeof e === "number" && Number.isFinite(e) && (!range || (Number.isInteger(e) && e >= range[0] && e <= range[1]));
      if (!ok) return `output '${sig.name}': element ${k} is not a value of ${datatype}`;
    }
  }
  return null;
}
