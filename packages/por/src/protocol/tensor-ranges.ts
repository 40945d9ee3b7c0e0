// The values each tensor datatype may hold as a JSON number: for custom models' tensors
// (packages/models tensor-io.ts), the Open Inference Protocol routes and planted tensor outputs
// (challenges/planted-output.ts) alike. No onnxruntime here, so the
// web app's data plane can import it without loading the runtime.

/** Integer ranges; 64-bit ones are cut at what a JSON number carries exactly (the OIP routes use them too). */
export const INT_RANGES: Readonly<Partial<Record<string, readonly [number, number]>>> = {
  UINT8: [0, 255],
  UINT16: [0, 65_535],
  UINT32: [0, 4_294_967_295],
  UINT64: [0, Number.MAX_SAFE_INTEGER],
  INT8: [-128, 127],
  INT16: [-32_768, 32_767],
  INT32: [-2_147_483_648, 2_147_483_647],
  INT64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};
export const FP32_MAX = 3.4028234663852886e38;
