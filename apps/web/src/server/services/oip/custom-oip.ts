import type { CustomModelRun } from "@proofgrid/por";
import { datatypeOf } from "@proofgrid/models/custom/tensor-check";
import { AppError } from "../../errors.ts";
import type { TInferRequest, Tensor, TensorSpec } from "./tensors.ts";

// An uploaded model (issue 17) over the Open Inference Protocol. Its job input already is the
// protocol's tensors (`{inputs: [{name, datatype, shape, data}]}`) and its output too, so
// infer passes the request's tensors to submitJob, which checks them against the stored
// signature exactly as a REST submit does, and returns the job's output tensors as they are.

/** The model's tensors as its metadata names them: a dynamic dimension is -1; an output's shape is not recorded, so [-1]. */
export function customTensorSpecs(run: CustomModelRun): { inputs: TensorSpec[]; outputs: TensorSpec[] } {
  const spec = (name: string, elemType: string, shape: number[]) => ({
    name,
    datatype: (datatypeOf(elemType) ?? "BYTES") as TensorSpec["datatype"],
    shape,
  });
  return {
    inputs: run.signature.inputs.map((i) =>
      spec(
        i.name,
        i.elemType,
        i.shape.map((d, k) => (String(k) in i.dynamic ? -1 : d)),
      ),
    ),
    outputs: run.signature.outputs.map((o) => spec(o.name, o.elemType, [-1])),
  };
}

/** The job input for the request's tensors; the binary extension and unknown outputs are refused first. */
export function customJobInput(run: CustomModelRun, slug: string, req: TInferRequest): unknown {
  for (const input of req.inputs) {
    if (input.parameters?.binary_data_size !== undefined) {
      throw new AppError("BAD_REQUEST", `input '${input.name}': the binary tensor extension is not supported; send the data as JSON`);
    }
  }
  const names = run.signature.outputs.map((o) => o.name);
  for (const [i, o] of (req.outputs ?? []).entries()) {
    if (!names.includes(o.name)) {
      throw new AppError("BAD_REQUEST", `unknown output '${o.name}': model '${slug}' returns ${names.map((n) => `'${n}'`).join(", ")}`);
    }
    if (req.outputs?.findIndex((x) => x.name === o.name) !== i) throw new AppError("BAD_REQUEST", `output '${o.name}' is requested twice`);
    if (o.parameters?.binary_data === true)
      throw new AppError("BAD_REQUEST", `output '${o.name}': the binary tensor extension is not supported`);
  }
  return { inputs: req.inputs.map(({ name, datatype, shape, data }) => ({ name, datatype, shape, data })) };
}

/** The job's output tensors (checked against the signature at completion), as the request asked for them. */
export function customOutputs(output: unknown, wanted: string[] | undefined): Tensor[] {
  const all = ((output as { outputs?: Tensor[] } | null)?.outputs ?? []) as Tensor[];
  return wanted ? wanted.map((n) => all.find((t) => t.name === n)).filter((t): t is Tensor => t !== undefined) : all;
}
