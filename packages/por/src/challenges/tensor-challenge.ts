import { createPrng, type Prng } from "./prng.ts";

// A raw tensor challenge for uploaded models of kind "tensor": uniform values in [min, max]
// (float32 rounding can land on max) for the model's input shape. The description is small; `materializeTensorChallenge` expands
// it into the same Float32Array on every machine (each value is min + (max − min)·k/2^32,
// computed exactly in double precision and rounded once to float32).

export const MAX_TENSOR_CHALLENGE_ELEMENTS = 1 << 20;

export interface TensorChallenge {
  kind: "tensor";
  dims: number[];
  min: number;
  max: number;
  /** Seed of the data stream (derived from the challenge seed). */
  dataSeed: string;
}

export function generateTensorChallenge(prng: Prng, options: { dims?: readonly number[] } = {}): TensorChallenge {
  const dims = [...(options.dims ?? [1, 64])];
  const elements = dims.reduce((product, dim) => product * dim, 1);
  if (dims.length === 0 || dims.length > 8 || !dims.every((dim) => Number.isSafeInteger(dim) && dim >= 1)) {
    throw new RangeError("tensor dims must be 1..8 positive integers");
  }
  if (elements > MAX_TENSOR_CHALLENGE_ELEMENTS)
    throw new RangeError(`tensor challenge of ${elements} elements; at most ${MAX_TENSOR_CHALLENGE_ELEMENTS}`);
  const scale = prng.pick([1, 2, 4]);
  const dataSeed = Array.from({ length: 4 }, () => prng.nextUint32().toString(16).padStart(8, "0")).join("");
  return { kind: "tensor", dims, min: -scale, max: scale, dataSeed };
}

export function materializeTensorChallenge(challenge: TensorChallenge): Float32Array {
  const elements = challenge.dims.reduce((product, dim) => product * dim, 1);
  if (!(Number.isSafeInteger(elements) && elements >= 1 && elements <= MAX_TENSOR_CHALLENGE_ELEMENTS)) {
    throw new RangeError(`tensor challenge of ${elements} elements; at most ${MAX_TENSOR_CHALLENGE_ELEMENTS}`);
  }
  if (!(Number.isFinite(challenge.min) && Number.isFinite(challenge.max) && challenge.min < challenge.max))
    throw new RangeError("need finite min < max");
  const prng: Prng = createPrng(challenge.dataSeed);
  const data = new Float32Array(elements);
  const span = challenge.max - challenge.min;
  for (let i = 0; i < elements; i++) data[i] = challenge.min + span * prng.nextFloat();
  return data;
}
