/**
 * Runs an uploaded model (issue 17) the way the built-in pipelines run theirs
 * (runtime/session.ts's options: the reference machine's threads, sequential execution), with
 * JSON tensors in and out (tensor-io.ts) instead of a catalog schema.
 *
 * Never an unverified file: the bytes are read once, their sha256 must equal the model id,
 * and the session is created from those same bytes in memory, not from the path again, so a
 * file swapped between the check and the load cannot be run. A mismatch throws
 * ModelIntegrityError before any session exists; the caller (a worker's cache) should drop
 * the file and fetch it again.
 */
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { resolveSessionOptions, ort, type SessionOptions } from "../runtime/session.ts";
import {
  CustomOutputError,
  DEFAULT_TENSOR_LIMITS,
  datatypeOf,
  elementCount,
  fromOrtTensor,
  parseInputTensors,
  type TensorJson,
  type TensorLimits,
  toOrtTensor,
} from "./tensor-io.ts";
import { ONNX_LIMITS, type OnnxSignature } from "./validate-onnx.ts";

const SHA256 = /^[0-9a-f]{64}$/;

/** The file is not the model its id names (or not there at all). Nothing was run. */
export class ModelIntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ModelIntegrityError";
  }
}

export interface CustomPipeline {
  /** The model id: sha256 of the ONNX file, checked at creation. */
  readonly id: string;
  readonly options: Readonly<Required<SessionOptions>>;
  /**
   * Checks the input tensors (ModelInputError naming the tensor), runs the model, and returns
   * every output in the signature's order (CustomOutputError when one cannot be JSON).
   */
  run(input: { inputs: unknown }): Promise<{ outputs: TensorJson[] }>;
  /** Releases the session; run() afterwards rejects. Idempotent. */
  dispose(): Promise<void>;
}

export interface CreateCustomPipelineOptions {
  /** The model file, e.g. a worker's cached copy. */
  path: string;
  /** sha256 hex of the file's bytes. */
  id: string;
  /** What validateOnnx recorded for this model (inputs with their bounds, outputs). */
  signature: Pick<OnnxSignature, "inputs" | "outputs">;
  sessionOptions?: SessionOptions;
  /** Caps on a request's input tensors and on the outputs returned. */
  limits?: TensorLimits;
}

async function readVerified(path: string, id: string): Promise<Uint8Array> {
  if (!SHA256.test(id)) throw new ModelIntegrityError(`not a model id (sha256 hex): ${id.slice(0, 80)}`);
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (err) {
    throw new ModelIntegrityError(`model ${id}: cannot read ${path}: ${(err as Error).message}`);
  }
  if (size > ONNX_LIMITS.maxBytes)
    throw new ModelIntegrityError(`model ${id}: the file is ${size} bytes, over the ${ONNX_LIMITS.maxBytes} a model may be`);
  const bytes = await readFile(path);
  const actual = createHash("sha256").update(bytes).digest("hex");
  if (actual !== id) throw new ModelIntegrityError(`model ${id}: the file's sha256 is ${actual}; it is not this model and was not run`);
  return bytes;
}

export async function createCustomPipeline(opts: CreateCustomPipelineOptions): Promise<CustomPipeline> {
  const { signature, id } = opts;
  const limits = opts.limits ?? DEFAULT_TENSOR_LIMITS;
  const options = resolveSessionOptions(opts.sessionOptions);
  const unsupported = [...signature.inputs.map((t) => ["input", t] as const), ...signature.outputs.map((t) => ["output", t] as const)].find(
    ([, t]) => datatypeOf(t.elemType) === null,
  );
  if (unsupported) {
    const [role, t] = unsupported;
    throw new Error(`model ${id}: ${role} '${t.name}' has element type ${t.elemType}, which custom models do not carry (JSON tensors)`);
  }

  const bytes = await readVerified(opts.path, id);
  const session = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: options.intraOpNumThreads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: options.graphOptimizationLevel,
    executionProviders: options.executionProviders,
  });
  // The signature must be this graph's: a stale or mistaken signature would feed it wrong names.
  const missing = [
    ...signature.inputs.filter((t) => !session.inputNames.includes(t.name)).map((t) => `input '${t.name}'`),
    ...signature.outputs.filter((t) => !session.outputNames.includes(t.name)).map((t) => `output '${t.name}'`),
  ];
  if (missing.length || session.inputNames.length !== signature.inputs.length) {
    await session.release();
    throw new Error(
      `model ${id}: the signature does not fit the graph (${missing.join(", ") || "input count differs"}; the graph has inputs ${session.inputNames.join(", ")} and outputs ${session.outputNames.join(", ")})`,
    );
  }
  const outputNames = signature.outputs.map((t) => t.name);

  let disposed = false;
  async function run(input: { inputs: unknown }): Promise<{ outputs: TensorJson[] }> {
    if (disposed) throw new Error(`custom model ${id} was disposed`);
    const tensors = parseInputTensors(input?.inputs, signature.inputs, limits);
    const feeds = Object.fromEntries(tensors.map((t) => [t.name, toOrtTensor(t)]));
    const fetches = await session.run(feeds, outputNames);
    let elements = 0;
    const outputs = signature.outputs.map((sig) => {
      const t = fetches[sig.name];
      if (!t) throw new CustomOutputError(`output '${sig.name}' was not returned by onnxruntime`);
      if (t.type !== sig.elemType) throw new CustomOutputError(`output '${sig.name}' is ${t.type}; the signature says ${sig.elemType}`);
      elements += elementCount(t.dims.map(Number));
      if (elements > limits.maxElements) {
        throw new CustomOutputError(`the outputs hold more than ${limits.maxElements} elements (at output '${sig.name}')`);
      }
      return fromOrtTensor(sig.name, t, limits.maxElements);
    });
    return { outputs };
  }

  return {
    id,
    options,
    run,
    async dispose() {
      if (disposed) return;
      disposed = true;
      await session.release();
    },
  };
}
