/**
 * The preprocessing of the menu (processing.ts) itself: an image decoded and scaled by sharp,
 * a text cut into the catalog tokenizer's WordPiece ids. Runs on the platform at submit.
 */
import sharp from "sharp";
import { encodeText } from "../encoder/tokenizer.ts";
import { checkImageInput } from "../inspect-input.ts";
import { ModelInputError } from "../model-input-error.ts";
import { IMAGENET, type Processing, PROCESSING_LIMITS, type ProcessingOptions, type TextRole, textRoles } from "./processing.ts";
import type { TensorJson } from "./tensor-check.ts";
import type { OnnxSignature, TensorSignature } from "./validate-onnx.ts";

/** The input is already the model's tensors (`{ inputs: [...] }`): a client that processes its own. */
export const isTensorInput = (input: unknown): boolean =>
  typeof input === "object" && input !== null && Array.isArray((input as { inputs?: unknown }).inputs);

/**
 * The customer's input as the model's tensors (`{ inputs: [...] }`), and what was done in
 * words. An input that already is tensors, or a model without preprocessing, is returned as
 * it came. A ModelInputError says what is wrong with the image or the text.
 */
export async function preprocessInput(
  signature: Pick<OnnxSignature, "inputs">,
  processing: Pick<Processing, "preprocessing" | "options">,
  input: unknown,
): Promise<{ input: unknown; adjustments: string[] }> {
  if (processing.preprocessing === "raw" || isTensorInput(input)) return { input, adjustments: [] };
  if (processing.preprocessing === "image") return preprocessImage(signature.inputs, processing.options, input);
  return preprocessText(signature.inputs, input);
}

/** Rounds a float32 to the shortest decimal that reads back as the same float32: a third of the JSON. */
function f32(v: number): number {
  const x = Math.fround(v);
  for (let p = 6; p < 10; p++) {
    const r = Number(x.toPrecision(p));
    if (Math.fround(r) === x) return r;
  }
  return x;
}

async function preprocessImage(inputs: readonly TensorSignature[], options: ProcessingOptions, input: unknown) {
  const sig = inputs[0] as TensorSignature;
  const [, c, h, w] = sig.shape as [number, number, number, number];
  if (typeof input !== "object" || input === null || typeof (input as { image?: unknown }).image !== "string") {
    throw new ModelInputError(`this model takes {image: base64 PNG, JPEG or WebP}, or its tensors as {inputs: [...]}`);
  }
  const image = await checkImageInput({ image: (input as { image: string }).image });
  const defaults = c === 3 ? IMAGENET : { mean: [0], std: [1] };
  const mean = options.mean ?? defaults.mean;
  const std = options.std ?? defaults.std;
  let pipeline = sharp(image.bytes).flatten({ background: "#ffffff" }).resize(w, h, { fit: "fill", kernel: "linear" });
  pipeline = c === 1 ? pipeline.grayscale() : pipeline.toColourspace("srgb");
  let decoded: { data: Buffer; info: sharp.OutputInfo };
  try {
    decoded = await pipeline.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  } catch (err) {
    // A header that reads but a body that does not (a truncated or corrupt file).
    throw new ModelInputError(`image could not be decoded: ${(err as Error).message.slice(0, 200)}`);
  }
  const { data, info } = decoded;
  if (info.channels !== c) throw new ModelInputError(`the image decoded to ${info.channels} channels; the model takes ${c}`);
  const plane = h * w;
  const out = new Array<number>(c * plane);
  for (let ch = 0; ch < c; ch++) {
    // A pixel is one of 256 values: each channel's 256 results once, then a lookup per pixel.
    const m = mean[ch] as number;
    const s = std[ch] as number;
    const table = Array.from({ length: 256 }, (_, v) => f32((v / 255 - m) / s));
    for (let i = 0; i < plane; i++) out[ch * plane + i] = table[data[i * c + ch] as number] as number;
  }
  const tensor: TensorJson = { name: sig.name, datatype: "FP32", shape: [1, c, h, w], data: out };
  return {
    input: { inputs: [tensor] },
    adjustments: [
      `image ${image.width}×${image.height} scaled to ${w}×${h} and written as '${sig.name}' float32 [1, ${c}, ${h}, ${w}], (pixel/255 − mean) / std with mean [${mean.join(", ")}] and std [${std.join(", ")}]`,
    ],
  };
}

function preprocessText(inputs: readonly TensorSignature[], input: unknown) {
  const roles = textRoles(inputs) as TextRole[];
  if (typeof input !== "object" || input === null || typeof (input as { text?: unknown }).text !== "string") {
    throw new ModelInputError(`this model takes {text: string}, or its tensors as {inputs: [...]}`);
  }
  const text = (input as { text: string }).text;
  if (text.length > 100_000) throw new ModelInputError("text is too long: at most 100000 characters", true);
  const first = inputs[0] as TensorSignature;
  const bound = first.shape[1] as number;
  const fixed = first.dynamic[1] === undefined;
  const ids = encodeText(text, Math.min(bound, fixed ? bound : PROCESSING_LIMITS.maxTextTokens));
  const length = fixed ? bound : ids.length;
  const row = (role: TextRole) =>
    Array.from({ length }, (_, i) => (i >= ids.length ? 0 : role === "ids" ? (ids[i] as number) : role === "mask" ? 1 : 0));
  const tensors: TensorJson[] = inputs.map((t, k) => ({
    name: t.name,
    datatype: t.elemType === "int32" ? "INT32" : "INT64",
    shape: [1, length],
    data: row(roles[k] as TextRole),
  }));
  return {
    input: { inputs: tensors },
    adjustments: [
      `text of ${text.length} characters written as ${ids.length} WordPiece tokens${fixed && length > ids.length ? `, padded to ${length}` : ""} (${inputs.map((t) => `'${t.name}'`).join(", ")})`,
    ],
  };
}
