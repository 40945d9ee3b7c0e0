import { ModelInputError } from "../model-input-error.ts";
import { isModelSlug, type ModelSlug } from "../model-schemas.ts";
import { modelFiles, modelId } from "../model-files.ts";
import { createEncoderPipeline } from "./encoder-pipeline.ts";
import { createOcrPipeline } from "./ocr-pipeline.ts";
import type { Pipeline } from "./pipeline.ts";
import { resolveSessionOptions, type SessionOptions } from "./session.ts";
import { createVadPipeline } from "./vad-pipeline.ts";

/**
 * Loads a built-in model's sessions. Options default to the reference machine's
 * (intraOpNumThreads 2, graphOptimizationLevel "all", CPU).
 */
export function createPipeline<S extends ModelSlug>(slug: S, opts?: SessionOptions): Promise<Pipeline<S>>;
export function createPipeline(slug: string, opts?: SessionOptions): Promise<Pipeline>;
export async function createPipeline(slug: string, opts: SessionOptions = {}): Promise<Pipeline> {
  if (!isModelSlug(slug)) throw new ModelInputError(`no built-in model ${slug}`);
  const options = resolveSessionOptions(opts);
  const files = await modelFiles(slug);
  const id = await modelId(slug);
  const file = (i: number) => files.onnx[i] as string;
  const asset = (role: string) => {
    const path = files.assets[role];
    if (!path) throw new Error(`${slug}: catalog lists no ${role}`);
    return path;
  };
  switch (slug) {
    case "ocr-ppocr-v4":
      return createOcrPipeline({ det: file(0), rec: file(1), dictionary: asset("dictionary") }, id, options);
    case "vad-silero-v5":
      return createVadPipeline(file(0), id, options);
    case "encoder-synthetic-minilm":
      return createEncoderPipeline(file(0), id, options);
  }
}
