/**
 * The synthetic encoder: BERT in MiniLM-L6's shape (bert-base-uncased vocabulary of
 * 30,522, 6 layers, hidden 384, 12 heads, FFN 1,536, 128 positions) with weights from a
 * seeded PRNG. It costs what all-MiniLM-L6-v2 costs to run; its vectors mean nothing.
 *
 * The file is written with onnx-proto and is the same bytes on every build and machine,
 * so its sha256 (the model id workers advertise) is pinned here and checked.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import onnxProto from "onnx-proto";
import { ENCODER_FILE_NAME } from "../catalog.ts";

const { onnx } = onnxProto;

export const ENCODER_SHAPE = { vocab: 30_522, hidden: 384, heads: 12, layers: 6, ffn: 1_536, maxPositions: 128 } as const;
/** sha256 of the file buildEncoderBytes() writes. A change to the graph or the PRNG must change this (and the file name). */
export const ENCODER_SHA256 = "374e630c898cdbd1671a9b5762fe0d2187edbf2dad9b5c5ade63400359499de7";
const SEED = 0x9e3779b9;

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");

/** Where generated models live: PROOFGRID_MODEL_CACHE, else `<repo>/.data/models`. */
export function modelCacheDir(): string {
  return process.env.PROOFGRID_MODEL_CACHE || join(REPO_ROOT, ".data", "models");
}

/** mulberry32: tiny, fast, and the same sequence on every platform (32-bit integer maths). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

type TensorProto = InstanceType<typeof onnx.TensorProto>;
type NodeProto = InstanceType<typeof onnx.NodeProto>;
type AttributeProto = InstanceType<typeof onnx.AttributeProto>;

export interface BuildEncoderOptions {
  /**
   * Transformer layers, 1..6 (default 6: the published model). Weights are drawn in graph
   * order, so a shallower build has exactly the embeddings and first layers of the full one:
   * the "cheaper model" a dishonest worker might substitute (tampered-models.ts).
   */
  layers?: number;
}

/** The encoder's ONNX bytes. Inputs: input_ids int64 [1, seq ≤ 128]. Output: embedding f32 [1, 384], mean over tokens. */
export function buildEncoderBytes(options: BuildEncoderOptions = {}): Uint8Array {
  const { vocab, hidden: H, heads, ffn, maxPositions } = ENCODER_SHAPE;
  const layers = options.layers ?? ENCODER_SHAPE.layers;
  if (!(Number.isInteger(layers) && layers >= 1 && layers <= ENCODER_SHAPE.layers)) {
    throw new RangeError(`layers must be an integer from 1 to ${ENCODER_SHAPE.layers}, got ${layers}`);
  }
  const rand = prng(SEED);
  const initializers: TensorProto[] = [];
  const nodes: NodeProto[] = [];
  const { FLOAT, INT64 } = onnx.TensorProto.DataType;
  // BERT initialises with N(0, 0.02²); a uniform of the same variance is as good for cost.
  const spread = 0.02 * Math.sqrt(3);
  const weight = (name: string, dims: number[], fill?: number) => {
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
    if (fill === undefined) for (let i = 0; i < data.length; i++) data[i] = (rand() * 2 - 1) * spread;
    else data.fill(fill);
    initializers.push(onnx.TensorProto.create({ name, dims, dataType: FLOAT, rawData: new Uint8Array(data.buffer) }));
    return name;
  };
  const int64 = (name: string, values: number[], dims: number[] = [values.length]) => {
    const data = BigInt64Array.from(values.map(BigInt));
    initializers.push(onnx.TensorProto.create({ name, dims, dataType: INT64, rawData: new Uint8Array(data.buffer) }));
    return name;
  };
  const scalar = (name: string, v: number) => {
    initializers.push(onnx.TensorProto.create({ name, dims: [], dataType: FLOAT, rawData: new Uint8Array(Float32Array.of(v).buffer) }));
    return name;
  };
  let counter = 0;
  const node = (op: string, inputs: string[], attrs: AttributeProto[] = []) => {
    const out = `t${counter++}`;
    nodes.push(onnx.NodeProto.create({ opType: op, input: inputs, output: [out], name: `${op}_${counter}`, attribute: attrs }));
    return out;
  };
  const { INT, FLOAT: FLOAT_ATTR, INTS } = onnx.AttributeProto.AttributeType;
  const attrInt = (name: string, i: number) => onnx.AttributeProto.create({ name, i, type: INT });
  const attrFloat = (name: string, f: number) => onnx.AttributeProto.create({ name, f, type: FLOAT_ATTR });
  const attrInts = (name: string, ints: number[]) => onnx.AttributeProto.create({ name, ints, type: INTS });
  const layerNorm = (x: string, prefix: string) =>
    node(
      "LayerNormalization",
      [x, weight(`${prefix}.gamma`, [H], 1), weight(`${prefix}.beta`, [H], 0)],
      [attrInt("axis", -1), attrFloat("epsilon", 1e-12)],
    );
  const linear = (x: string, prefix: string, inDim: number, outDim: number) =>
    node("Add", [node("MatMul", [x, weight(`${prefix}.weight`, [inDim, outDim])]), weight(`${prefix}.bias`, [outDim], 0)]);

  const headDim = H / heads;
  const splitShape = int64("shape.split", [1, -1, heads, headDim]);
  const mergeShape = int64("shape.merge", [1, -1, H]);
  const attnScale = scalar("attention.scale", 1 / Math.sqrt(headDim));
  const half = scalar("gelu.half", 0.5);
  const one = scalar("gelu.one", 1);
  const invSqrt2 = scalar("gelu.inv_sqrt2", Math.SQRT1_2);

  // Embeddings: word + position (0..seq-1, computed in the graph) + token type 0, then LayerNorm.
  const seqLen = node("Gather", [node("Shape", ["input_ids"]), int64("index.seq", [1], [])], [attrInt("axis", 0)]);
  const positions = node("Range", [int64("range.start", [0], []), seqLen, int64("range.step", [1], [])]);
  const words = node("Gather", [weight("embeddings.word", [vocab, H]), "input_ids"], [attrInt("axis", 0)]);
  const pos = node("Gather", [weight("embeddings.position", [maxPositions, H]), positions], [attrInt("axis", 0)]);
  let x = layerNorm(node("Add", [node("Add", [words, pos]), weight("embeddings.token_type0", [H])]), "embeddings.norm");

  for (let l = 0; l < layers; l++) {
    const p = `layer${l}`;
    const toHeads = (t: string, perm: number[]) => node("Transpose", [node("Reshape", [t, splitShape])], [attrInts("perm", perm)]);
    const q = toHeads(linear(x, `${p}.attention.query`, H, H), [0, 2, 1, 3]);
    const kT = toHeads(linear(x, `${p}.attention.key`, H, H), [0, 2, 3, 1]);
    const v = toHeads(linear(x, `${p}.attention.value`, H, H), [0, 2, 1, 3]);
    const probs = node("Softmax", [node("Mul", [node("MatMul", [q, kT]), attnScale])], [attrInt("axis", -1)]);
    const context = node("Reshape", [node("Transpose", [node("MatMul", [probs, v])], [attrInts("perm", [0, 2, 1, 3])]), mergeShape]);
    x = layerNorm(node("Add", [x, linear(context, `${p}.attention.output`, H, H)]), `${p}.attention.norm`);
    // Exact GELU, x·½·(1 + erf(x/√2)), as BERT uses.
    const h = linear(x, `${p}.intermediate`, H, ffn);
    const gelu = node("Mul", [node("Mul", [h, half]), node("Add", [one, node("Erf", [node("Mul", [h, invSqrt2])])])]);
    x = layerNorm(node("Add", [x, linear(gelu, `${p}.output`, ffn, H)]), `${p}.output.norm`);
  }
  // Mean pooling over tokens (sentence-transformers' default); batch 1 needs no mask.
  const pooled = node("ReduceMean", [x], [attrInts("axes", [1]), attrInt("keepdims", 0)]);
  nodes.push(onnx.NodeProto.create({ opType: "Identity", input: [pooled], output: ["embedding"], name: "output" }));

  const dim = (d: number | string) =>
    typeof d === "number"
      ? onnx.TensorShapeProto.Dimension.create({ dimValue: d })
      : onnx.TensorShapeProto.Dimension.create({ dimParam: d });
  const valueInfo = (name: string, elemType: number, dims: (number | string)[]) =>
    onnx.ValueInfoProto.create({
      name,
      type: onnx.TypeProto.create({
        tensorType: onnx.TypeProto.Tensor.create({ elemType, shape: onnx.TensorShapeProto.create({ dim: dims.map(dim) }) }),
      }),
    });
  const graph = onnx.GraphProto.create({
    // The published build keeps its name (and so its bytes and pinned sha256).
    name: layers === ENCODER_SHAPE.layers ? "encoder-synthetic-minilm" : `encoder-synthetic-minilm-${layers}-layers`,
    node: nodes,
    initializer: initializers,
    input: [valueInfo("input_ids", INT64, [1, "sequence"])],
    output: [valueInfo("embedding", FLOAT, [1, H])],
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: "proofgrid",
    producerVersion: "2",
    docString: "SYNTHETIC: MiniLM-L6-shaped BERT encoder with seeded random weights; its vectors carry no meaning.",
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: "", version: 17 })],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

function fileSha256(path: string): string | undefined {
  try {
    return statSync(path).isFile() ? sha256(readFileSync(path)) : undefined;
  } catch {
    return undefined;
  }
}

const ensured = new Map<string, { path: string; sha256: string }>();

/**
 * Returns the encoder file, building it when it is missing or its bytes are not the
 * pinned ones (a truncated write, an older version). Checked once per process and cache
 * directory. The write goes to a temporary file renamed into place, so processes that
 * build at the same time never see half a file.
 */
export async function ensureEncoderFile(): Promise<{ path: string; sha256: string }> {
  const path = join(modelCacheDir(), ENCODER_FILE_NAME);
  const known = ensured.get(path);
  if (known) return known;
  if (fileSha256(path) !== ENCODER_SHA256) {
    const bytes = buildEncoderBytes();
    const built = sha256(bytes);
    if (built !== ENCODER_SHA256) {
      throw new Error(`synthetic encoder build is not reproducible here: sha256 ${built}, expected ${ENCODER_SHA256}`);
    }
    mkdirSync(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
    try {
      writeFileSync(tmp, bytes);
      renameSync(tmp, path);
    } finally {
      rmSync(tmp, { force: true });
    }
  }
  const result = { path, sha256: ENCODER_SHA256 };
  ensured.set(path, result);
  return result;
}
