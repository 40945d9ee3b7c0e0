// Runtime-free parts (also importable alone: @proofgrid/models/catalog, /inspect-input).
export * from "./catalog.ts";
export * from "./inspect-input.ts";
export * from "./model-files.ts";
export { ENCODER_SHA256, ENCODER_SHAPE, ensureEncoderFile, modelCacheDir } from "./encoder/build-encoder.ts";
// The runtime (onnxruntime-node, sharp).
export { createPipeline } from "./runtime/create-pipeline.ts";
export type { Pipeline } from "./runtime/pipeline.ts";
export { DEFAULT_SESSION_OPTIONS, type SessionCall, type SessionOptions } from "./runtime/session.ts";
