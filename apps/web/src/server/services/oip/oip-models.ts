import { AUDIO_MAX_BYTES, LIMITS, type ModelOutput, type ModelSlug, OUTPUT_SCHEMAS } from "@proofgrid/models/model-schemas";
import { base64Length } from "@proofgrid/models/base64";
import { AppError } from "../../errors.ts";
import type { DecodedTensor, Tensor, TensorSpec } from "./tensors.ts";
import { wavFloat32 } from "./wav-float32.ts";

// How each built-in model's job input and output read as the protocol's tensors. A model's
// metadata (GET /v2/models/{name}) is exactly its `inputs` and `outputs` here, and infer
// accepts exactly those: the job input is built from the tensors and then validated, priced
// and held by submitJob like any other job's.

export interface OipModel {
  inputs: readonly TensorSpec[];
  outputs: readonly TensorSpec[];
  /** Elements each input may hold: the job input's own limits, checked before decoding. */
  maxElements: Readonly<Record<string, number>>;
  /** The job input, from tensors already checked against `inputs` (one per input, by name). */
  toJobInput(tensors: ReadonlyMap<string, DecodedTensor>): unknown;
  /** Every output tensor, from the job's (schema-checked) output. */
  toOutputs(output: unknown): Tensor[];
}

const EMBEDDING_DIM = 384;
const MIN_SAMPLES = Math.round(LIMITS.audioMinSeconds * LIMITS.audioSampleRate);
const MAX_SAMPLES = LIMITS.audioMaxSeconds * LIMITS.audioSampleRate;
/** The longest base64 image the job input takes (its 4 MiB decoded, plus a data: URL prefix). */
const IMAGE_MAX_CHARS = base64Length(LIMITS.imageMaxBytes) + 100;

function tensorOf<T extends DecodedTensor["data"]>(tensors: ReadonlyMap<string, DecodedTensor>, name: string): T {
  const t = tensors.get(name);
  // The caller checked every input is present; a missing one here is a bug, not a bad request.
  if (!t) throw new Error(`tensor ${name} missing after validation`);
  return t.data as T;
}

function parseOutput<S extends ModelSlug>(slug: S, output: unknown): ModelOutput<S> {
  const parsed = OUTPUT_SCHEMAS[slug].safeParse(output);
  if (!parsed.success) throw new AppError("INTERNAL", `the job's output is not a result of ${slug}`);
  return parsed.data as ModelOutput<S>;
}

const encoder: OipModel = {
  inputs: [{ name: "text", datatype: "BYTES", shape: [-1] }],
  outputs: [{ name: "embeddings", datatype: "FP32", shape: [-1, EMBEDDING_DIM] }],
  maxElements: { text: LIMITS.textsMaxItems },
  toJobInput(tensors) {
    const texts = tensorOf<string[]>(tensors, "text");
    if (texts.length === 0) throw new AppError("BAD_REQUEST", "input 'text' is empty: send at least one string");
    texts.forEach((t, i) => {
      if (t.length === 0) throw new AppError("BAD_REQUEST", `input 'text': element ${i} is an empty string`);
      if (t.length > LIMITS.textMaxChars) {
        throw new AppError(
          "PAYLOAD_TOO_LARGE",
          `input 'text': element ${i} is too large: ${t.length} characters; at most ${LIMITS.textMaxChars}`,
        );
      }
    });
    return { texts };
  },
  toOutputs(output) {
    const { vectors } = parseOutput("encoder-synthetic-minilm", output);
    return [{ name: "embeddings", datatype: "FP32", shape: [vectors.length, EMBEDDING_DIM], data: vectors.flat() }];
  },
};

const vad: OipModel = {
  inputs: [{ name: "audio", datatype: "FP32", shape: [1, -1] }],
  outputs: [
    { name: "segments", datatype: "FP32", shape: [-1, 2] },
    { name: "duration", datatype: "FP32", shape: [1] },
    { name: "frames", datatype: "INT32", shape: [1] },
  ],
  maxElements: { audio: MAX_SAMPLES },
  toJobInput(tensors) {
    const samples = tensorOf<number[]>(tensors, "audio");
    if (samples.length < MIN_SAMPLES) {
      throw new AppError(
        "BAD_REQUEST",
        `input 'audio' has ${samples.length} samples; at least ${MIN_SAMPLES} (${LIMITS.audioMinSeconds * 1000} ms at ${LIMITS.audioSampleRate} Hz)`,
      );
    }
    // float32 WAV: the samples reach the model bit for bit, as a job's WAV input would.
    const wav = wavFloat32(Float32Array.from(samples), LIMITS.audioSampleRate);
    if (wav.byteLength > AUDIO_MAX_BYTES) throw new AppError("PAYLOAD_TOO_LARGE", "input 'audio' is too large");
    return { audio: Buffer.from(wav.buffer, wav.byteOffset, wav.byteLength).toString("base64") };
  },
  toOutputs(output) {
    const out = parseOutput("vad-silero-v5", output);
    return [
      { name: "segments", datatype: "FP32", shape: [out.segments.length, 2], data: out.segments.flatMap((s) => [s.start, s.end]) },
      { name: "duration", datatype: "FP32", shape: [1], data: [out.durationSec] },
      { name: "frames", datatype: "INT32", shape: [1], data: [out.frames] },
    ];
  },
};

const ocr: OipModel = {
  inputs: [{ name: "image", datatype: "BYTES", shape: [1] }],
  outputs: [
    { name: "text", datatype: "BYTES", shape: [-1] },
    { name: "confidence", datatype: "FP32", shape: [-1] },
    { name: "boxes", datatype: "FP32", shape: [-1, 4, 2] },
    { name: "image_size", datatype: "INT32", shape: [2] },
  ],
  maxElements: { image: 1 },
  toJobInput(tensors) {
    const [image = ""] = tensorOf<string[]>(tensors, "image");
    if (image.length === 0) throw new AppError("BAD_REQUEST", "input 'image' is an empty string: send the image file, base64-encoded");
    if (image.length > IMAGE_MAX_CHARS) {
      throw new AppError("PAYLOAD_TOO_LARGE", `input 'image' is too large: at most ${LIMITS.imageMaxBytes} bytes decoded`);
    }
    return { image };
  },
  toOutputs(output) {
    const out = parseOutput("ocr-ppocr-v4", output);
    const n = out.lines.length;
    return [
      { name: "text", datatype: "BYTES", shape: [n], data: out.lines.map((l) => l.text) },
      { name: "confidence", datatype: "FP32", shape: [n], data: out.lines.map((l) => l.confidence) },
      { name: "boxes", datatype: "FP32", shape: [n, 4, 2], data: out.lines.flatMap((l) => l.box.flat()) },
      { name: "image_size", datatype: "INT32", shape: [2], data: [out.width, out.height] },
    ];
  },
};

const OIP_MODELS: Record<ModelSlug, OipModel> = {
  "encoder-synthetic-minilm": encoder,
  "vad-silero-v5": vad,
  "ocr-ppocr-v4": ocr,
};

/** The tensor mapping of a catalog model, or undefined for a model this protocol does not serve. */
export function oipModelFor(slug: string): OipModel | undefined {
  return Object.hasOwn(OIP_MODELS, slug) ? OIP_MODELS[slug as ModelSlug] : undefined;
}
