import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

/**
 * The synthetic encoder: BERT in MiniLM-L6's shape (vocab 30522, 6 layers, hidden 384,
 * 12 heads, FFN 1536, max 128 positions) with weights from a seeded PRNG. It costs what
 * MiniLM costs to run; its vectors mean nothing. The bytes are identical on every build,
 * so its sha256 (the model id) is stable across machines.
 */
export const ENCODER_SHAPE = { vocab: 30_522, hidden: 384, heads: 12, layers: 6, ffn: 1_536, maxPositions: 128 } as const;
const SEED = 0x9e3779b9;
const FILE_NAME = "encoder-synthetic-minilm-v1.onnx";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");

export function modelCacheDir(): string {
  return process.env.PROOFGRID_MODEL_CACHE ?? join(REPO_ROOT, ".data", "models");
}

/** mulberry32: tiny, fast, deterministic across platforms. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function buildModelBytes(): Uint8Array {
  const { vocab, hidden: H, heads, layers, ffn, maxPositions } = ENCODER_SHAPE;
  const rand = prng(SEED);
  const initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  const nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  // BERT's initialiser: N(0, 0.02²); a uniform with the same variance is close enough.
  const spread = 0.02 * Math.sqrt(3);
  const weight = (name: string, dims: number[], fill?: number) => {
    const n = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = fill ?? (rand() * 2 - 1) * spread;
    initializers.push(onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(data.buffer) }));
    return name;
  };
  const int64 = (name: string, values: number[]) => {
    initializers.push(onnx.TensorProto.create({ name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer) }));
    return name;
  };
  const scalar = (name: string, v: number) => {
    initializers.push(onnx.TensorProto.create({ name, dims: [], dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(Float32Array.of(v).buffer) }));
    return name;
  };
  let counter = 0;
  const node = (op: string, inputs: string[], attrs: InstanceType<typeof onnx.AttributeProto>[] = []) => {
    const out = `t${counter++}`;
    nodes.push(onnx.NodeProto.create({ opType: op, input: inputs, output: [out], name: `${op}_${counter}`, attribute: attrs }));
    return out;
  };
  const attrInt = (name: string, i: number) => onnx.AttributeProto.create({ name, i, type: onnx.AttributeProto.AttributeType.INT });
  const attrFloat = (name: string, f: number) => onnx.AttributeProto.create({ name, f, type: onnx.AttributeProto.AttributeType.FLOAT });
  const attrInts = (name: string, ints: number[]) => onnx.AttributeProto.create({ name, ints, type: onnx.AttributeProto.AttributeType.INTS });
  const layerNorm = (x: string, prefix: string) =>
    node("LayerNormalization", [x, weight(`${prefix}.gamma`, [H], 1), weight(`${prefix}.beta`, [H], 0)], [attrInt("axis", -1), attrFloat("epsilon", 1e-12)]);
  const linear = (x: string, prefix: string, inDim: number, outDim: number) =>
    node("Add", [node("MatMul", [x, weight(`${prefix}.weight`, [inDim, outDim])]), weight(`${prefix}.bias`, [outDim], 0)]);

  const headDim = H / heads;
  const splitShape = int64("shape.split", [1, -1, heads, headDim]);
  const mergeShape = int64("shape.merge", [1, -1, H]);
  const invSqrt = scalar("attn.scale", 1 / Math.sqrt(headDim));
  const half = scalar("gelu.half", 0.5);
  const one = scalar("gelu.one", 1);
  const invSqrt2 = scalar("gelu.inv_sqrt2", Math.SQRT1_2);

  const tok = node("Gather", [weight("embeddings.word", [vocab, H]), "input_ids"], [attrInt("axis", 0)]);
  const pos = node("Gather", [weight("embeddings.position", [maxPositions, H]), "position_ids"], [attrInt("axis", 0)]);
  let x = layerNorm(node("Add", [tok, pos]), "embeddings.norm");
  for (let l = 0; l < layers; l++) {
    const p = `layer${l}`;
    const heads4 = (t: string) => node("Transpose", [node("Reshape", [t, splitShape])], [attrInts("perm", [0, 2, 1, 3])]);
    const q = heads4(linear(x, `${p}.q`, H, H));
    const kT = node("Transpose", [node("Reshape", [linear(x, `${p}.k`, H, H), splitShape])], [attrInts("perm", [0, 2, 3, 1])]);
    const v = heads4(linear(x, `${p}.v`, H, H));
    const attn = node("Softmax", [node("Mul", [node("MatMul", [q, kT]), invSqrt])], [attrInt("axis", -1)]);
    const ctx = node("Reshape", [node("Transpose", [node("MatMul", [attn, v])], [attrInts("perm", [0, 2, 1, 3])]), mergeShape]);
    x = layerNorm(node("Add", [x, linear(ctx, `${p}.out`, H, H)]), `${p}.norm1`);
    const hdn = linear(x, `${p}.ffn_in`, H, ffn);
    const gelu = node("Mul", [node("Mul", [hdn, half]), node("Add", [one, node("Erf", [node("Mul", [hdn, invSqrt2])])])]);
    x = layerNorm(node("Add", [x, linear(gelu, `${p}.ffn_out`, ffn, H)]), `${p}.norm2`);
  }
  const pooled = node("ReduceMean", [x], [attrInts("axes", [1]), attrInt("keepdims", 0)]);
  nodes.push(onnx.NodeProto.create({ opType: "Identity", input: [pooled], output: ["embedding"], name: "output" }));

  const dim = (d: number | string) => (typeof d === "number" ? onnx.TensorShapeProto.Dimension.create({ dimValue: d }) : onnx.TensorShapeProto.Dimension.create({ dimParam: d }));
  const valueInfo = (name: string, elemType: number, dims: (number | string)[]) =>
    onnx.ValueInfoProto.create({ name, type: onnx.TypeProto.create({ tensorType: onnx.TypeProto.Tensor.create({ elemType, shape: onnx.TensorShapeProto.create({ dim: dims.map(dim) }) }) }) });
  const graph = onnx.GraphProto.create({
    name: "encoder-synthetic-minilm",
    node: nodes,
    initializer: initializers,
    input: [valueInfo("input_ids", onnx.TensorProto.DataType.INT64, [1, "seq"]), valueInfo("position_ids", onnx.TensorProto.DataType.INT64, ["seq"])],
    output: [valueInfo("embedding", onnx.TensorProto.DataType.FLOAT, [1, H])],
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: "proofgrid",
    producerVersion: "1",
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: "", version: 17 })],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

let ensured: string | undefined;

/** Writes the encoder once per cache dir (atomic rename, so concurrent builders are safe). */
export async function ensureEncoderFile(): Promise<string> {
  const path = join(modelCacheDir(), FILE_NAME);
  if (ensured === path) return path;
  const stamp = `${path}.sha256`;
  if (!(existsSync(path) && existsSync(stamp) && readFileSync(stamp, "utf8").length === 64)) {
    const bytes = buildModelBytes();
    mkdirSync(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
    writeFileSync(`${stamp}.${process.pid}.tmp`, createHash("sha256").update(bytes).digest("hex"));
    renameSync(`${stamp}.${process.pid}.tmp`, stamp);
  }
  ensured = path;
  return path;
}

export { buildModelBytes as buildEncoderBytes };
