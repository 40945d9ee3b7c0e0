import { getCatalogEntry } from "../catalog.ts";
import { ModelInputError } from "../model-input-error.ts";
import { isModelSlug, type ModelSlug } from "../model-schemas.ts";
import { combineFileHashes, type ModelFiles, modelFiles, sha256File } from "../model-files.ts";
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
  // Checked before the files are resolved, so bad options fail without building the encoder.
  resolveSessionOptions(opts);
  return createPipelineFromFiles(slug, await modelFiles(slug), opts);
}

/**
 * A built-in model's pipeline (pre- and post-processing) around the given files instead of
 * the catalog's: how the proof-of-render tests run tampered weights through exactly the code
 * an honest worker runs. The id is computed from these files, so it names what was loaded.
 */
export function createPipelineFromFiles<S extends ModelSlug>(slug: S, files: ModelFiles, opts?: SessionOptions): Promise<Pipeline<S>>;
export function createPipelineFromFiles(slug: string, files: ModelFiles, opts?: SessionOptions): Promise<Pipeline>;
export async function createPipelineFromFiles(slug: string, files: ModelFiles, opts: SessionOptions = {}): Promise<Pipeline> {
  if (!isModelSlug(slug)) throw new ModelInputError(`no built-in model ${slug}`);
  const options = resolveSessionOptions(opts);
  const wanted = getCatalogEntry(slug).files.length;
  if (files.onnx.length !== wanted) throw new Error(`${slug}: needs ${wanted} ONNX file(s) in pipeline order, got ${files.onnx.length}`);
  const digests: string[] = [];
  for (const path of files.onnx) digests.push(await sha256File(path));
  const id = combineFileHashes(digests);
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
