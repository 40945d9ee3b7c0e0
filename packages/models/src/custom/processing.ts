/**
 * The fixed menu of processing around an uploaded model (issue 17): what the platform does to
 * a customer's input before the model runs, and to the model's output after.
 *
 * - `image`: a PNG, JPEG or WebP (`{ image: base64 }`, the OCR model's form) scaled to the
 *   model's input height and width and written as a normalised NCHW float32 tensor:
 *   `(pixel / 255 - mean[c]) / std[c]`, RGB order (grey for a one-channel input).
 * - `text`: a text (`{ text }`, the encoder's form) as BERT WordPiece ids from the catalog's
 *   tokenizer ([CLS] … [SEP], uncased vocabulary), with its attention mask and token types
 *   when the model takes them.
 * - `softmax`: the first output's scores as probabilities over its last axis.
 * - `labels`: the same, with the 5 most probable classes named from the owner's list.
 *
 * Where it runs, and why: both ends run on the platform, not on the worker. The input is
 * turned into the model's tensors at submit, so the job holds, hashes and receipts exactly
 * what the model ran on, and workers, checkers, re-execution, challenges and canaries see the
 * same tensors as for any uploaded model. The output keeps the model's raw tensors (verified
 * and receipted); the probabilities and labels are computed from them whenever the job is
 * read, by this deterministic code, so no worker can report a label its tensors do not give.
 *
 * Pure: the preprocessing itself (sharp, the tokenizer) is preprocess-input.ts.
 */
import type { TensorJson } from "./tensor-check.ts";
import type { OnnxSignature, TensorSignature } from "./validate-onnx.ts";

export const PREPROCESSING = ["raw", "image", "text"] as const;
export const POSTPROCESSING = ["raw", "softmax", "labels"] as const;
export type Preprocessing = (typeof PREPROCESSING)[number];
export type Postprocessing = (typeof POSTPROCESSING)[number];

/** The owner's parameters of its choices, as registered (all optional). */
export interface ProcessingOptions {
  /** `image`: per-channel mean and standard deviation of the pixels scaled to 0..1. */
  mean?: number[];
  std?: number[];
  /** `labels`: the name of each class, in the order of the output's last axis. */
  labels?: string[];
}

export interface Processing {
  preprocessing: Preprocessing;
  postprocessing: Postprocessing;
  options: ProcessingOptions;
}

export const PROCESSING_LIMITS = {
  maxLabels: 10_000,
  maxLabelChars: 200,
  /** All labels of a listing, as JSON: every read of a job's result and of the listing carries them. */
  maxLabelsJsonBytes: 64 * 1024,
  /** Classes shown by `labels`. */
  topK: 5,
  /** `image`: the largest input the platform writes, in elements (C·H·W): 3·384·384, ~5 MB of
   * JSON made from a small picture, so a request cannot make the platform store far more. */
  maxImageElements: 3 * 384 * 384,
  /** `text`: tokens when the model's sequence axis has no bound below it. */
  maxTextTokens: 512,
  /** `softmax`/`labels`: rows (batch × leading axes), classes per row, and scores read in all
   * (computed on every read of the job: bounded work and a bounded answer). */
  maxRows: 64,
  maxClasses: 100_000,
  maxResultElements: 100_000,
} as const;

/** ImageNet's statistics: what most vision models exported from PyTorch expect. */
export const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

const FLOATS = new Set(["float32", "float64"]);
const INTS = new Set(["int64", "int32"]);

/** Why `processing` cannot serve a model of `signature`, or null. Checked at registration. */
export function processingProblem(signature: Pick<OnnxSignature, "inputs" | "outputs">, processing: Processing): string | null {
  const { preprocessing: pre, postprocessing: post, options } = processing;
  if ((options.mean || options.std) && pre !== "image") return "mean and std are options of the image preprocessing";
  if (options.labels && post !== "labels") return "labels are the option of the labels postprocessing";
  if (pre === "image") {
    const p = imageInputProblem(signature.inputs);
    if (p) return p;
    const channels = signature.inputs[0]?.shape[1];
    for (const [name, v] of [
      ["mean", options.mean],
      ["std", options.std],
    ] as const) {
      if (v && v.length !== channels) return `${name} has ${v.length} values; the model's input has ${channels} channels`;
    }
    if (options.std?.some((v) => !(v > 0))) return "std must be above 0";
  }
  if (pre === "text") {
    const p = textInputProblem(signature.inputs);
    if (p) return p;
  }
  if (post === "softmax" || post === "labels") {
    const first = signature.outputs[0];
    if (!first || !FLOATS.has(first.elemType)) {
      return `${post} reads the model's first output as scores: it must be float32 or float64${first ? `, and '${first.name}' is ${first.elemType}` : ""}`;
    }
  }
  if (post === "labels") {
    const labels = options.labels;
    if (!labels || labels.length === 0) return "the labels postprocessing needs labels: the name of each class, in the output's order";
    if (labels.length > PROCESSING_LIMITS.maxLabels) return `at most ${PROCESSING_LIMITS.maxLabels} labels`;
    const bad = labels.findIndex((l) => typeof l !== "string" || l.length === 0 || l.length > PROCESSING_LIMITS.maxLabelChars);
    if (bad >= 0) return `label ${bad} must be 1 to ${PROCESSING_LIMITS.maxLabelChars} characters`;
  }
  return null;
}

function imageInputProblem(inputs: readonly TensorSignature[]): string | null {
  const only = inputs[0];
  if (inputs.length !== 1 || !only) return `the image preprocessing feeds one input; the model has ${inputs.length}`;
  const where = `the image preprocessing writes '${only.name}' as float32 [1, C, H, W]`;
  if (only.elemType !== "float32") return `${where}; it is ${only.elemType}`;
  if (only.shape.length !== 4) return `${where}; it has ${only.shape.length} axes`;
  for (const axis of [1, 2, 3]) {
    if (only.dynamic[axis] !== undefined) return `${where} with fixed C, H and W; axis ${axis} ('${only.dynamic[axis]}') is dynamic`;
  }
  const [, c, h, w] = only.shape as [number, number, number, number];
  if (only.dynamic[0] === undefined && only.shape[0] !== 1) return `${where}; its batch axis is fixed at ${only.shape[0]}`;
  if (c !== 1 && c !== 3) return `${where} with 1 (grey) or 3 (RGB) channels; it has ${c}`;
  if (h < 1 || w < 1 || c * h * w > PROCESSING_LIMITS.maxImageElements) {
    return `${where} of at most ${PROCESSING_LIMITS.maxImageElements} elements; it is ${c}×${h}×${w}`;
  }
  return null;
}

export type TextRole = "ids" | "mask" | "types";

/** Which text tensor each input is: the first the token ids, then a mask or token types by name. */
export function textRoles(inputs: readonly TensorSignature[]): TextRole[] | string {
  if (inputs.length < 1 || inputs.length > 3)
    return `the text preprocessing feeds token ids, a mask and token types; the model has ${inputs.length} inputs`;
  const roles: TextRole[] = [];
  // By name (a mask, token types), else the token ids: the first input whatever its name when
  // the others are named, so `[attention_mask, input_ids]` feeds each its own.
  for (const t of inputs) {
    const role: TextRole | null = /mask/i.test(t.name) ? "mask" : /type|segment/i.test(t.name) ? "types" : "ids";
    if (roles.includes(role)) {
      return `two inputs read as the ${role === "ids" ? "token ids" : role} (by their names: '*mask*' the attention mask, '*type*' the token types, another the ids)`;
    }
    roles.push(role);
  }
  if (!roles.includes("ids")) return "no input reads as the token ids: the text preprocessing needs one besides the mask and token types";
  return roles;
}

function textInputProblem(inputs: readonly TensorSignature[]): string | null {
  const roles = textRoles(inputs);
  if (typeof roles === "string") return roles;
  for (const t of inputs) {
    const where = `the text preprocessing writes '${t.name}' as int64 or int32 [1, tokens]`;
    if (!INTS.has(t.elemType)) return `${where}; it is ${t.elemType}`;
    if (t.shape.length !== 2) return `${where}; it has ${t.shape.length} axes`;
    if (t.dynamic[0] === undefined && t.shape[0] !== 1) return `${where}; its batch axis is fixed at ${t.shape[0]}`;
    if ((t.shape[1] ?? 0) < 2) return `${where} with room for [CLS] and [SEP]; its token axis holds ${t.shape[1]}`;
  }
  const lengths = new Set(inputs.map((t) => `${t.shape[1]}${t.dynamic[1] === undefined ? "" : "*"}`));
  if (lengths.size > 1) return "the text inputs' token axes differ: the preprocessing writes them all the same length";
  return null;
}

export interface LabelScore {
  index: number;
  label: string;
  score: number;
}

/** What `softmax` or `labels` make of a job's output: per row of the first output's leading axes. */
export type PostprocessedResult = { probabilities: number[][] } | { top: LabelScore[][] };

/** Softmax over the last axis, each row on its own (max-subtracted: no overflow). */
function softmaxRows(data: readonly number[], classes: number, rows: number): number[][] {
  const out: number[][] = [];
  for (let r = 0; r < rows; r++) {
    const row = data.slice(r * classes, (r + 1) * classes);
    let max = Number.NEGATIVE_INFINITY;
    for (const v of row) if (v > max) max = v;
    const e = row.map((v) => Math.exp(v - max));
    const sum = e.reduce((a, b) => a + b, 0);
    out.push(e.map((v) => Math.round((v / sum) * 1e6) / 1e6));
  }
  return out;
}

/**
 * The postprocessed view of a job's output (`{ outputs: [...] }`, already checked against the
 * signature at completion), or null when the model has none or the output cannot carry it.
 */
export function postprocessOutput(processing: Pick<Processing, "postprocessing" | "options">, output: unknown): PostprocessedResult | null {
  if (processing.postprocessing === "raw") return null;
  const first = (output as { outputs?: TensorJson[] } | null)?.outputs?.[0];
  if (!first || !Array.isArray(first.shape) || !Array.isArray(first.data) || first.shape.length === 0) return null;
  const classes = first.shape.at(-1) as number;
  if (classes < 1 || classes > PROCESSING_LIMITS.maxClasses) return null;
  const rows = Math.min(
    PROCESSING_LIMITS.maxRows,
    Math.floor(first.data.length / classes),
    Math.floor(PROCESSING_LIMITS.maxResultElements / classes),
  );
  if (rows < 1) return null;
  // Named classes must be the output's classes: a worker's [N, 1] for [1, N] names nothing.
  const labels = processing.options.labels;
  if (processing.postprocessing === "labels" && labels && labels.length !== classes) return null;
  const read = first.data.slice(0, rows * classes);
  if (read.some((v) => typeof v !== "number")) return null;
  const probabilities = softmaxRows(read as number[], classes, rows);
  if (processing.postprocessing === "softmax") return { probabilities };
  return {
    top: probabilities.map((p) =>
      p
        .map((score, index) => ({ index, label: labels?.[index] ?? `#${index}`, score }))
        .sort((a, b) => b.score - a.score || a.index - b.index)
        .slice(0, PROCESSING_LIMITS.topK),
    ),
  };
}
