/**
 * Dishonest variants of the built-in models, for the proof-of-render cheating tests: what a
 * worker that wants the fee without the work (or with less of it) would run. Written into
 * the model cache (`<cache>/tampered/`) next to the synthetic encoder, and loaded with
 * createPipelineFromFiles, so they go through exactly the pre- and post-processing an
 * honest worker's outputs go through. Never served: no catalog entry names them.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { threadId } from "node:worker_threads";
import { createPrng } from "@proofgrid/por";
import onnxProto from "onnx-proto";
import { buildEncoderBytes, modelCacheDir } from "./encoder/build-encoder.ts";
import { type ModelFiles, modelFiles, sha256File } from "./model-files.ts";
import type { ModelSlug } from "./model-schemas.ts";

const { onnx } = onnxProto;
type TensorProto = InstanceType<typeof onnx.TensorProto>;
type GraphProto = InstanceType<typeof onnx.GraphProto>;

/** Bump when the perturbation changes: it is part of every cached file's name. */
const TAMPER_VERSION = 1;

export interface PerturbOptions {
  /** Each weight w becomes w·(1 + relative·u), u uniform in [−1, 1): 0.01 is "1 %". In (0, 1). */
  relative: number;
  /** Names the random draw: same seed, same file. */
  seed: string;
}

export interface PerturbStats {
  /** Float tensors perturbed, and their elements. */
  tensors: number;
  elements: number;
  /** Float tensors left alone: scalars, and inputs that are sizes rather than weights. */
  skipped: number;
}

/**
 * Every float32 weight of an ONNX model multiplied elementwise by (1 + relative·u).
 *
 * "Weights" are the float32 tensors with more than one element among the graph's
 * initializers and its Constant nodes, in subgraphs too: PP-OCRv4 and Silero v5 carry all
 * their weights in Constant nodes (0 initializers), Silero inside If branches. Left alone:
 * scalars — the graph's hyper-parameters (the exponent 2 of Pow in PP-OCR's LayerNorm and
 * Silero's STFT magnitude, made 2.02, turns every negative base into NaN: a broken model,
 * not a subtly wrong one) — and Resize's roi and scales (sizes: the detector's 2× upsampling
 * made 2.02× no longer lines up with its skip connections). Each tensor
 * gets its own PRNG stream named by the seed and the tensor's position, so the draw does
 * not depend on how the file is walked.
 */
export function perturbOnnxBytes(bytes: Uint8Array, options: PerturbOptions): { bytes: Uint8Array; stats: PerturbStats } {
  assertPerturbOptions(options);
  const model = onnx.ModelProto.decode(bytes);
  if (!model.graph) throw new Error("ONNX model has no graph");
  const stats: PerturbStats = { tensors: 0, elements: 0, skipped: 0 };
  const streams = createPrng(`proofgrid-perturb-v${TAMPER_VERSION}\u0000${options.seed}`);
  forEachFloatTensor(model.graph as GraphProto, "graph", (tensor, path, isSize) => {
    if (isSize || elementCount(tensor) <= 1) {
      stats.skipped++;
      return;
    }
    const prng = streams.fork(path);
    stats.elements += scaleTensor(tensor, () => 1 + options.relative * (prng.nextFloat() * 2 - 1));
    stats.tensors++;
  });
  return { bytes: onnx.ModelProto.encode(model).finish(), stats };
}

/** Inputs that are sizes, not weights: perturbing them changes shapes, not values. */
const SIZE_INPUTS: Readonly<Record<string, readonly number[]>> = { Resize: [1, 2], Upsample: [1] };
/** Silero v5 nests If branches 4 deep, the deepest here; the bound stops a crafted file. */
const MAX_GRAPH_DEPTH = 16;

/** Visits each float32 tensor of the graph and its subgraphs, with a stable path and whether it is a size input. */
function forEachFloatTensor(
  graph: GraphProto,
  path: string,
  visit: (t: TensorProto, path: string, isSize: boolean) => void,
  depth = 0,
): void {
  if (depth > MAX_GRAPH_DEPTH) throw new Error(`ONNX subgraphs nested deeper than ${MAX_GRAPH_DEPTH}`);
  const sizeNames = new Set<string>();
  for (const node of graph.node ?? []) {
    for (const index of SIZE_INPUTS[node.opType ?? ""] ?? []) {
      const name = node.input?.[index];
      if (name) sizeNames.add(name);
    }
  }
  const isFloat = (t: TensorProto) => t.dataType === onnx.TensorProto.DataType.FLOAT;
  (graph.initializer ?? []).forEach((tensor, i) => {
    if (isFloat(tensor as TensorProto)) visit(tensor as TensorProto, `${path}/init${i}`, sizeNames.has(tensor.name ?? ""));
  });
  (graph.node ?? []).forEach((node, n) => {
    (node.attribute ?? []).forEach((attribute, a) => {
      const at = `${path}/node${n}/attr${a}`;
      // Only Constant nodes hold weights (ConstantOfShape's `value` is the fill of a run-time shape).
      if (attribute.t && node.opType === "Constant" && isFloat(attribute.t as TensorProto)) {
        visit(
          attribute.t as TensorProto,
          at,
          (node.output ?? []).some((name) => sizeNames.has(name)),
        );
      }
      if (attribute.g) forEachFloatTensor(attribute.g as GraphProto, `${at}/g`, visit, depth + 1);
      (attribute.graphs ?? []).forEach((g, k) => {
        forEachFloatTensor(g as GraphProto, `${at}/g${k}`, visit, depth + 1);
      });
    });
  });
}

function elementCount(tensor: TensorProto): number {
  return (tensor.dims ?? []).reduce<number>((product, d) => product * Number(d), 1);
}

/** Multiplies each element by factor(), whichever field holds the data; returns the count. */
function scaleTensor(tensor: TensorProto, factor: () => number): number {
  if (tensor.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL)
    throw new Error(`tensor ${tensor.name}: external data is not supported`);
  const raw = tensor.rawData;
  if (raw && raw.length > 0) {
    // raw_data is little-endian float32 by the ONNX spec; a copy, since the decoded bytes may be unaligned views of the file.
    const out = new Uint8Array(raw.length);
    const src = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const dst = new DataView(out.buffer);
    for (let i = 0; i < raw.length; i += 4) dst.setFloat32(i, src.getFloat32(i, true) * factor(), true);
    tensor.rawData = out;
    return raw.length / 4;
  }
  const values = tensor.floatData ?? [];
  tensor.floatData = values.map((v) => Math.fround(v * factor()));
  return values.length;
}

function assertPerturbOptions(options: PerturbOptions): void {
  if (!(Number.isFinite(options.relative) && options.relative > 0 && options.relative < 1)) {
    throw new RangeError(`relative must be in (0, 1), got ${options.relative}`);
  }
  if (typeof options.seed !== "string" || options.seed.length === 0 || options.seed.length > 256) {
    throw new RangeError("seed must be 1..256 characters");
  }
}

/** `<cache>/tampered`: apart from the honest models, so nothing mistakes one for the other. */
export function tamperedModelDir(): string {
  return join(modelCacheDir(), "tampered");
}

/** Written to a temporary file renamed into place: concurrent builders (bench threads) never see half a file. */
function writeAtomically(path: string, bytes: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${threadId}.${Date.now()}.tmp`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** In-process memo by what names the variant (cache directory included); the files are the cross-process cache. */
const built = new Map<string, Promise<ModelFiles>>();

function memo(key: string, build: () => Promise<ModelFiles>): Promise<ModelFiles> {
  let files = built.get(key);
  if (!files) {
    files = build();
    built.set(key, files);
    files.catch(() => built.delete(key));
  }
  return files;
}

/**
 * The model's files with every weight perturbed (perturbOnnxBytes), cached by (slug,
 * relative, seed) and the honest files' sha256, so a reinstalled package never pairs with a
 * stale variant. Assets (dictionary, vocabulary) are the honest ones. ~1.5 s to build the
 * encoder's 90 MB the first time; later calls find the file. Nothing is evicted: each
 * (relative, seed) costs the model's size on disk (90 MB for the encoder).
 */
export function perturbedModelFiles(slug: ModelSlug, options: PerturbOptions): Promise<ModelFiles> {
  assertPerturbOptions(options);
  const memoKey = JSON.stringify({ dir: tamperedModelDir(), slug, relative: options.relative, seed: options.seed });
  return memo(memoKey, async () => {
    const honest = await modelFiles(slug);
    const digests: string[] = [];
    for (const path of honest.onnx) digests.push(await sha256File(path));
    const key = createHash("sha256")
      .update(JSON.stringify({ version: TAMPER_VERSION, slug, relative: options.relative, seed: options.seed, digests }))
      .digest("hex")
      .slice(0, 16);
    const onnxPaths = honest.onnx.map((path, i) => {
      const out = join(tamperedModelDir(), `${slug}.${i}.${basename(path, ".onnx")}.perturbed-${key}.onnx`);
      if (!existsSync(out)) writeAtomically(out, perturbOnnxBytes(readFileSync(path), options).bytes);
      return out;
    });
    return { onnx: onnxPaths, assets: { ...honest.assets } };
  });
}

/** The cheaper encoder: the first 2 of the 6 layers, same embeddings and layer weights. */
export const CHEAPER_ENCODER_LAYERS = 2;

/**
 * A cheaper model a worker could pass off as the real one, or null when there is none:
 * - encoder: the same weights with 2 layers instead of 6 (~1/3 of the compute);
 * - OCR: null. Running PP-OCRv4 at a lower detector resolution is cheaper, but it is the
 *   same model fed a different input, a change to the pipeline rather than a model swap; the
 *   package ships no smaller PP-OCR (the classifier in it is a different task);
 * - VAD: null. Silero v5 is already ~2 MB and 0.3 ms per window; the package's v6 has the
 *   same architecture and cost (a substitute, not a cheaper model) and its "legacy" v4 takes
 *   different inputs, so it does not fit the v5 pipeline.
 */
export function cheaperModelFiles(slug: ModelSlug): Promise<ModelFiles | null> {
  if (slug !== "encoder-synthetic-minilm") return Promise.resolve(null);
  const path = join(tamperedModelDir(), `${slug}-v2-${CHEAPER_ENCODER_LAYERS}-layers.onnx`);
  return memo(path, async () => {
    const honest = await modelFiles(slug);
    if (!existsSync(path)) writeAtomically(path, buildEncoderBytes({ layers: CHEAPER_ENCODER_LAYERS }));
    return { onnx: [path], assets: { ...honest.assets } };
  });
}
