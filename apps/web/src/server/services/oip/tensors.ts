import { FP32_MAX, INT_RANGES } from "@proofgrid/models/custom/tensor-ranges";
import { z } from "zod";
import { AppError } from "../../errors.ts";

// The protocol's JSON tensors (open-inference-protocol, specification/protocol/inference_rest.md):
// a datatype, a shape, and the elements in row-major order, given flat or nested.

export const OIP_DATATYPES = [
  "BOOL",
  "UINT8",
  "UINT16",
  "UINT32",
  "UINT64",
  "INT8",
  "INT16",
  "INT32",
  "INT64",
  "FP16",
  "FP32",
  "FP64",
  "BYTES",
] as const;
export type OipDatatype = (typeof OIP_DATATYPES)[number];

/** A tensor as metadata describes it: -1 marks a dimension of any size. */
export interface TensorSpec {
  name: string;
  datatype: OipDatatype;
  shape: number[];
}

/** A tensor with its data, flat: what the response carries and what a request decodes to. */
export interface Tensor extends TensorSpec {
  data: (number | string | boolean)[];
}

/** A tensor of the request, checked against its model's spec. */
export interface DecodedTensor {
  name: string;
  shape: number[];
  data: number[] | string[];
}

const MAX_NAME = 64;
const MAX_RANK = 8;
const MAX_PARAMETERS = 32;

/** `$parameters`: name → string | number | boolean. Servers may define their own; these are bounded. */
const ZParameters = z
  .record(z.string().max(MAX_NAME), z.union([z.string().max(1_000), z.number(), z.boolean()]))
  .refine((p) => Object.keys(p).length <= MAX_PARAMETERS, `at most ${MAX_PARAMETERS} parameters`);

export const ZInferRequest = z.object({
  id: z.string().max(256).optional(),
  parameters: ZParameters.optional(),
  inputs: z
    .array(
      z.object({
        name: z.string().min(1).max(MAX_NAME),
        shape: z.array(z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)).max(MAX_RANK),
        datatype: z.enum(OIP_DATATYPES),
        parameters: ZParameters.optional(),
        // Checked element by element against the model's input (decodeTensor): a zod union over
        // millions of samples would cost more than the inference.
        data: z.array(z.unknown()),
      }),
    )
    .min(1)
    .max(16),
  outputs: z
    .array(z.object({ name: z.string().min(1).max(MAX_NAME), parameters: ZParameters.optional() }))
    .max(16)
    .optional(),
});
export type TInferRequest = z.infer<typeof ZInferRequest>;
export type TRequestInput = TInferRequest["inputs"][number];

export function parseInferRequest(body: unknown): TInferRequest {
  const parsed = ZInferRequest.safeParse(body);
  if (!parsed.success) throw new AppError("BAD_REQUEST", `invalid inference request: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

function elementOk(datatype: OipDatatype, v: unknown): boolean {
  if (datatype === "BYTES") return typeof v === "string";
  if (datatype === "BOOL") return typeof v === "boolean";
  if (typeof v !== "number" || !Number.isFinite(v)) return false;
  if (datatype === "FP32") return Math.abs(v) <= FP32_MAX;
  if (datatype === "FP16" || datatype === "FP64") return true;
  const range = INT_RANGES[datatype];
  return range !== undefined && Number.isInteger(v) && v >= range[0] && v <= range[1];
}

const elementWord = (datatype: OipDatatype) =>
  datatype === "BYTES"
    ? "a string"
    : datatype === "BOOL"
      ? "a boolean"
      : datatype.startsWith("FP")
        ? "a finite number"
        : "an integer in range";

/**
 * The request input as the model's input `spec`: its datatype, its shape (rank and fixed
 * dimensions), its data flattened (nested arrays as deep as the shape, no deeper), the
 * shape's element count equal to the data's, and at most `maxElements` elements, counted
 * while flattening so an oversized tensor is refused before it is copied.
 */
export function decodeTensor(input: TRequestInput, spec: TensorSpec, maxElements: number): DecodedTensor {
  const what = `input '${spec.name}'`;
  if (input.datatype !== spec.datatype) {
    throw new AppError("BAD_REQUEST", `${what} has datatype ${input.datatype}; this model takes ${spec.datatype}`);
  }
  const specShape = `[${spec.shape.join(", ")}]`;
  if (input.shape.length !== spec.shape.length || spec.shape.some((d, i) => d !== -1 && d !== input.shape[i])) {
    throw new AppError("BAD_REQUEST", `${what} has shape [${input.shape.join(", ")}]; this model takes ${specShape} (-1: any size)`);
  }
  const declared = input.shape.reduce((a, b) => a * b, 1);
  if (declared > maxElements) {
    throw new AppError(
      "PAYLOAD_TOO_LARGE",
      `${what} is too large: shape [${input.shape.join(", ")}] holds ${declared} elements; at most ${maxElements}`,
    );
  }
  const flat: unknown[] = [];
  const walk = (node: unknown[], depth: number): void => {
    for (const v of node) {
      if (Array.isArray(v)) {
        if (depth + 1 >= Math.max(1, input.shape.length))
          throw new AppError("BAD_REQUEST", `${what}: data is nested deeper than its shape`);
        walk(v, depth + 1);
      } else {
        if (flat.length >= maxElements) throw new AppError("PAYLOAD_TOO_LARGE", `${what} is too large: at most ${maxElements} elements`);
        flat.push(v);
      }
    }
  };
  walk(input.data, 0);
  if (flat.length !== declared) {
    throw new AppError("BAD_REQUEST", `${what}: shape [${input.shape.join(", ")}] holds ${declared} elements but data has ${flat.length}`);
  }
  const bad = flat.findIndex((v) => !elementOk(spec.datatype, v));
  if (bad !== -1) {
    throw new AppError("BAD_REQUEST", `${what}: element ${bad} is not ${elementWord(spec.datatype)} (datatype ${spec.datatype})`);
  }
  return { name: spec.name, shape: input.shape, data: flat as number[] | string[] };
}
