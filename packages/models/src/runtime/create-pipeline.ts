import { isModelSlug } from "../catalog.ts";
import { ModelInputError } from "../model-input-error.ts";
import { modelFiles } from "../model-files.ts";
import { createEncoderPipeline } from "./encoder.ts";
import { createOcrPipeline } from "./ocr.ts";
import type { Pipeline } from "./pipeline.ts";
import type { SessionOptions } from "./session.ts";
import { createVadPipeline } from "./vad.ts";

/** Loads a built-in model's sessions and returns its pipeline (pre-processing, inference, post-processing). */
export async function createPipeline(slug: string, opts: SessionOptions = {}): Promise<Pipeline> {
  if (!isModelSlug(slug)) throw new ModelInputError(`no built-in model ${slug}`);
  const files = await modelFiles(slug);
  switch (slug) {
    case "ocr-ppocr-v4":
      return createOcrPipeline({ det: files.onnx[0] as string, rec: files.onnx[1] as string, dictionary: files.extra.dictionary as string }, opts) as Promise<Pipeline>;
    case "vad-silero-v5":
      return createVadPipeline(files.onnx[0] as string, opts) as Promise<Pipeline>;
    case "encoder-synthetic-minilm":
      return createEncoderPipeline(files.onnx[0] as string, files.extra.vocab as string, opts) as Promise<Pipeline>;
  }
}
