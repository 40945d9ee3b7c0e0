/**
 * Uploaded ("custom") ONNX models for the custom-models bench part (issue 17): built with
 * onnx-proto like the e2e test's, sized by one large constant weight, and sent to a stack
 * the way a customer does — a resumable tus upload then POST /api/v1/models, or the file as
 * the body when it is small enough.
 */
import { ELEM, encodeModel, valueInfo } from "@proofgrid/models/custom/testing/build-onnx";
import { api, type Stack } from "../../tests/support/stack.ts";

/** The direct (octet-stream) registration's bound (register-model.ts MAX_DIRECT_UPLOAD_BYTES): larger files go by tus. */
const DIRECT_UPLOAD_MAX_BYTES = 8 * 1024 * 1024;
/** Bytes per tus PATCH. */
const TUS_CHUNK_BYTES = 4 * 1024 * 1024;
const TUS = { "tus-resumable": "1.0.0" };

export interface MatMulShape {
  /** x is float32 [1, inputs]. */
  inputs: number;
  /** The hidden width: the weight W1 is [inputs, hidden], inputs·hidden·4 bytes of the file. */
  hidden: number;
}

/** The ~20 MB model of the cold-start measurement: W1 is 1000 × 5000 float32 = 20 000 000 bytes. */
export const LARGE_MODEL: MatMulShape = { inputs: 1_000, hidden: 5_000 };
/** The models of the hit-rate workload: W1 64 × 256 float32 = 64 KiB, so many fit in a small cache. */
export const SMALL_MODEL: MatMulShape = { inputs: 64, hidden: 256 };
const OUTPUTS = 4;

/** Float32 weights in [-0.01, 0.01) from a 32-bit LCG seeded by `seed`: every salt gives other bytes, hence another model id. */
function weights(count: number, seed: number): Uint8Array {
  const out = new Float32Array(count);
  let s = (seed * 2_654_435_761 + 1) >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 0.02;
  }
  return new Uint8Array(out.buffer);
}

/**
 * y = (x · W1) · W2, x float32 [1, inputs], y float32 [1, 4]: fixed shapes, a standard
 * operator, deterministic, so it passes validation (validate-onnx.ts ONNX_LIMITS) and the
 * sandbox's reference run. The file is essentially W1, as raw little-endian float32.
 */
export function matMulModel(shape: MatMulShape, salt: number): Uint8Array {
  return encodeModel({
    name: `bench-matmul-${shape.inputs}x${shape.hidden}-${salt}`,
    node: [
      { opType: "MatMul", input: ["x", "w1"], output: ["h"] },
      { opType: "MatMul", input: ["h", "w2"], output: ["y"] },
    ],
    initializer: [
      { name: "w1", dataType: ELEM.FLOAT, dims: [shape.inputs, shape.hidden], rawData: weights(shape.inputs * shape.hidden, salt) },
      { name: "w2", dataType: ELEM.FLOAT, dims: [shape.hidden, OUTPUTS], rawData: weights(shape.hidden * OUTPUTS, salt + 1) },
    ],
    input: [valueInfo("x", ELEM.FLOAT, [1, shape.inputs])],
    output: [valueInfo("y", ELEM.FLOAT, [1, OUTPUTS])],
  });
}

/** A job input for a matMulModel of `shape` (the Open Inference Protocol tensor form custom models take). */
export function matMulInput(shape: MatMulShape) {
  const data = Array.from({ length: shape.inputs }, (_, i) => ((i % 17) - 8) / 8);
  return { inputs: [{ name: "x", datatype: "FP32", shape: [1, shape.inputs], data }] };
}

export interface RegisteredModel {
  id: string;
  slug: string;
  bytes: number;
}

async function send(stack: Stack, path: string, init: { method: string; headers: Record<string, string>; body?: Uint8Array }) {
  const res = await fetch(`${stack.url}${path}`, {
    method: init.method,
    headers: { authorization: `Bearer ${stack.apiKey}`, ...init.headers },
    body: init.body,
    signal: AbortSignal.timeout(120_000),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text };
}

/**
 * Uploads and registers `bytes` as a private model of the stack's customer: by tus (created,
 * then PATCHed in TUS_CHUNK_BYTES pieces) when over the direct bound, else as the request's body.
 */
export async function uploadModel(stack: Stack, bytes: Uint8Array, name: string): Promise<RegisteredModel> {
  let registered: { status: number; body: unknown };
  if (bytes.byteLength <= DIRECT_UPLOAD_MAX_BYTES) {
    const res = await send(stack, `/api/v1/models?name=${encodeURIComponent(name)}&visibility=private`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: bytes,
    });
    registered = { status: res.status, body: JSON.parse(res.text) as unknown };
  } else {
    const created = await send(stack, "/api/v1/models/uploads", {
      method: "POST",
      headers: { ...TUS, "upload-length": String(bytes.byteLength) },
    });
    if (created.status !== 201) throw new Error(`tus create: ${created.status} ${created.text.slice(0, 300)}`);
    const uploadId = (JSON.parse(created.text) as { id: string }).id;
    for (let offset = 0; offset < bytes.byteLength; offset += TUS_CHUNK_BYTES) {
      const chunk = bytes.subarray(offset, Math.min(bytes.byteLength, offset + TUS_CHUNK_BYTES));
      const patch = await send(stack, `/api/v1/models/uploads/${uploadId}`, {
        method: "PATCH",
        headers: { ...TUS, "upload-offset": String(offset), "content-type": "application/offset+octet-stream" },
        body: chunk,
      });
      if (patch.status !== 204) throw new Error(`tus PATCH at ${offset}: ${patch.status} ${patch.text.slice(0, 300)}`);
    }
    registered = await api(stack, "/api/v1/models", { body: { uploadId, name, visibility: "private" }, timeoutMs: 180_000 });
  }
  const body = registered.body as { id?: string; slug?: string };
  if ((registered.status !== 201 && registered.status !== 200) || !body.id || !body.slug) {
    throw new Error(`registering ${name}: ${registered.status} ${JSON.stringify(registered.body).slice(0, 300)}`);
  }
  return { id: body.id, slug: body.slug, bytes: bytes.byteLength };
}
