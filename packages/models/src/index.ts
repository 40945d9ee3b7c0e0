export * from "./catalog.ts";
export * from "./inspect-input.ts";
export * from "./model-files.ts";
export * from "./runtime/create-pipeline.ts";
export type { Pipeline } from "./runtime/pipeline.ts";
export type { SessionOptions } from "./runtime/session.ts";
export { ensureEncoderFile, modelCacheDir, ENCODER_SHAPE } from "./encoder/build-encoder.ts";
export { encodeWavPcm16 } from "./wav-encode.ts";
