// Kept as its own entry point (`@proofgrid/models/wav-encode`): the worker's benchmark
// and the end-to-end tests build WAV files with it without loading the runtime.
export { encodeWavPcm16 } from "./audio/wav.ts";
