/**
 * The onnxruntime-free half of tensor-io.ts (issue 17): the JSON tensor types and the check of
 * a request's input tensors against a custom model's signature. The web app checks a job's
 * input with it at submit without loading onnxruntime-node into its process; the worker's
 * pipeline runs the same check before a byte reaches onnxruntime. See tensor-io.ts for the
 * format and what is not supported.
 */
import { ModelInputError } from "../model-input-error.ts";
import { FP32_MAX, INT_RANGES } from "./tensor-ranges.ts";
import type { TensorSignature } from "./validate-onnx.ts";

export const TENSOR_DATATYPES = ["BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64", "FP32", "FP64"] as const;
export type TensorDatatype = (typeof TENSOR_DATATYPES)[number];

export interface TensorJson {
  name: string;
  datatype: TensorDatatype;
  shape: number[];
  /** Row-major; booleans for BOOL, numbers otherwise. */
  data: number[] | boolean[];
}

/** ONNX element type (as validate-onnx names it) → the JSON datatype. */
export const DATATYPE_OF_ELEM_TYPE: Readonly<Record<string, TensorDatatype>> = {
  bool: "BOOL",
  uint8: "UINT8",
  uint16: "UINT16",
  uint32: "UINT32",
  uint64: "UINT64",
  int8: "INT8",
  int16: "INT16",
  int32: "INT32",
  int64: "INT64",
  float32: "FP32",
  float64: "FP64",
};

const ELEM_TYPE_OF_DATATYPE: Readonly<Record<TensorDatatype, string>> = Object.fromEntries(
  Object.entries(DATATYPE_OF_ELEM_TYPE).map(([e, d]) => [d, e]),
) as Record<TensorDatatype, string>;

const BYTES_PER_ELEMENT: Readonly<Record<TensorDatatype, number>> = {
  BOOL: 1,
  UINT8: 1,
  INT8: 1,
  UINT16: 2,
  INT16: 2,
  UINT32: 4,
  INT32: 4,
  FP32: 4,
  UINT64: 8,
  INT64: 8,
  FP64: 8,
};

export interface TensorLimits {
  /** Elements over all of one request's tensors. */
  maxElements: number;
  /** Bytes those elements take once in onnxruntime's typed arrays. */
  maxBytes: number;
}

/** 16 Mi elements / 64 MiB: a 16×3×512×512 float image batch fits (12.6 Mi elements, 50 MiB). */
export const DEFAULT_TENSOR_LIMITS: Readonly<TensorLimits> = { maxElements: 16 * 1024 * 1024, maxBytes: 64 * 1024 * 1024 };

const MAX_NAME = 256;

/** The model produced an output JSON cannot carry (NaN, ±Infinity, a 64-bit integer past 2^53) or too large a one. */
export class CustomOutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CustomOutputError";
  }
}

/** The JSON datatype of an element type, or null for one this library does not carry (float16, string). */
export function datatypeOf(elemType: string): TensorDatatype | null {
  return DATATYPE_OF_ELEM_TYPE[elemType] ?? null;
}

export const elementCount = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

const shapeText = (shape: readonly unknown[]) => `[${shape.map(String).join(", ")}]`;
const quote = (s: string) => `'${s.slice(0, 80)}'`;

function elementOk(datatype: TensorDatatype, v: unknown): boolean {
  if (datatype === "BOOL") return typeof v === "boolean";
  if (typeof v !== "number" || !Number.isFinite(v)) return false;
  if (datatype === "FP64") return true;
  if (datatype === "FP32") return Math.abs(v) <= FP32_MAX;
  const range = INT_RANGES[datatype];
  return range !== undefined && Number.isInteger(v) && v >= range[0] && v <= range[1];
}

function elementWord(datatype: TensorDatatype): string {
  if (datatype === "BOOL") return "a boolean";
  if (datatype === "FP32") return "a finite number within float32's range";
  if (datatype === "FP64") return "a finite number";
  const [lo, hi] = INT_RANGES[datatype] ?? [0, 0];
  return `an integer from ${lo} to ${hi}`;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A tensor's datatype and shape checked against its declared input; its data not yet read. */
function checkHeader(raw: Record<string, unknown>, sig: TensorSignature): { datatype: TensorDatatype; shape: number[] } {
  const what = `input ${quote(sig.name)}`;
  const datatype = datatypeOf(sig.elemType);
  if (datatype === null) throw new ModelInputError(`${what}: element type ${sig.elemType} is not supported for custom models`);
  if (raw.datatype !== datatype) {
    throw new ModelInputError(`${what} has datatype ${String(raw.datatype).slice(0, 20)}; this model takes ${datatype}`);
  }
  const shape = raw.shape;
  if (!Array.isArray(shape) || shape.length > 64 || !shape.every((d) => Number.isSafeInteger(d))) {
    throw new ModelInputError(`${what}: shape must be an array of integers`);
  }
  const want = sig.shape.map((d, i) => (i in sig.dynamic ? `≤${d}` : String(d)));
  if (shape.length !== sig.shape.length) {
    throw new ModelInputError(
      `${what} has rank ${shape.length} (shape ${shapeText(shape)}); this model takes rank ${sig.shape.length}, [${want.join(", ")}]`,
    );
  }
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i] as number;
    const declared = sig.shape[i] as number;
    if (i in sig.dynamic) {
      if (d < 1) throw new ModelInputError(`${what} dimension ${i} ('${sig.dynamic[i]}') is ${d}: at least 1`);
      if (d > declared) {
        throw new ModelInputError(`${what} dimension ${i} ('${sig.dynamic[i]}') is ${d}: this model's bound is ${declared}`, true);
      }
    } else if (d !== declared) {
      throw new ModelInputError(
        `${what} has shape ${shapeText(shape)}; this model takes [${want.join(", ")}] (dimension ${i} must be ${declared})`,
      );
    }
  }
  return { datatype, shape: shape as number[] };
}

/** The data of a tensor whose header passed: flat, as long as the shape, every element in its type. */
function checkData(raw: Record<string, unknown>, name: string, datatype: TensorDatatype, shape: number[]): TensorJson {
  const what = `input ${quote(name)}`;
  const data = raw.data;
  if (!Array.isArray(data)) throw new ModelInputError(`${what}: data must be a flat array`);
  const expected = elementCount(shape);
  if (data.length !== expected) {
    throw new ModelInputError(`${what}: shape ${shapeText(shape)} holds ${expected} elements but data has ${data.length}`);
  }
  for (let i = 0; i < data.length; i++) {
    if (!elementOk(datatype, data[i])) {
      throw new ModelInputError(`${what}: element ${i} is not ${elementWord(datatype)} (datatype ${datatype})`);
    }
  }
  return { name, datatype, shape, data: data as number[] | boolean[] };
}

/**
 * A request's `inputs` checked against the model's declared inputs; returned in the
 * signature's order. Caps are checked on the declared shapes, before any data is walked.
 */
export function parseInputTensors(
  inputs: unknown,
  signature: readonly TensorSignature[],
  limits: TensorLimits = DEFAULT_TENSOR_LIMITS,
): TensorJson[] {
  if (!Array.isArray(inputs)) throw new ModelInputError("inputs must be an array of tensors {name, datatype, shape, data}");
  if (inputs.length > signature.length) {
    throw new ModelInputError(
      `${inputs.length} input tensors given; this model takes ${signature.length} (${signature.map((s) => s.name).join(", ")})`,
    );
  }
  const byName = new Map<string, Record<string, unknown>>();
  for (const [i, t] of inputs.entries()) {
    if (!isRecord(t)) throw new ModelInputError(`inputs[${i}] is not a tensor object {name, datatype, shape, data}`);
    const name = t.name;
    if (typeof name !== "string" || name.length === 0 || name.length > MAX_NAME) {
      throw new ModelInputError(`inputs[${i}]: name must be a string of 1 to ${MAX_NAME} characters`);
    }
    if (!signature.some((s) => s.name === name)) {
      throw new ModelInputError(`input ${quote(name)} is not an input of this model (it takes ${signature.map((s) => s.name).join(", ")})`);
    }
    if (byName.has(name)) throw new ModelInputError(`input ${quote(name)} is given more than once`);
    byName.set(name, t);
  }
  const missing = signature.filter((s) => !byName.has(s.name));
  if (missing.length) throw new ModelInputError(`input ${quote(missing[0]?.name ?? "")} is missing`);

  let elements = 0;
  let bytes = 0;
  const headers = signature.map((sig) => {
    const raw = byName.get(sig.name) as Record<string, unknown>;
    const { datatype, shape } = checkHeader(raw, sig);
    const n = elementCount(shape);
    elements += n;
    bytes += n * BYTES_PER_ELEMENT[datatype];
    if (elements > limits.maxElements) {
      throw new ModelInputError(`input ${quote(sig.name)} brings the request to ${elements} elements: at most ${limits.maxElements}`, true);
    }
    if (bytes > limits.maxBytes) {
      throw new ModelInputError(`input ${quote(sig.name)} brings the request to ${bytes} bytes: at most ${limits.maxBytes}`, true);
    }
    return { raw, name: sig.name, datatype, shape };
  });
  return headers.map((h) => checkData(h.raw, h.name, h.datatype, h.shape));
}

/** The onnxruntime element type a datatype runs as (the inverse of datatypeOf). */
export const elemTypeOf = (datatype: TensorDatatype): string => ELEM_TYPE_OF_DATATYPE[datatype];
