/**
 * Static checks of an uploaded ONNX model (issue 17), before anything loads or runs it: the
 * bytes parse as an ONNX ModelProto, and nothing in them reaches outside the file or past
 * the platform's limits. What this refuses, by name:
 *
 * - bytes that are not a ModelProto (truncated, another format) or carry no graph;
 * - external data: a tensor whose bytes live in another file (`data_location = EXTERNAL`,
 *   `external_data` entries such as `location: ../../etc/passwd`), anywhere — initializers,
 *   sparse initializers, constant attributes, subgraphs of If/Loop/Scan;
 * - operators outside the standard domains (`ai.onnx`, `ai.onnx.ml`): custom operator
 *   domains need code onnxruntime-node does not ship; model-local functions likewise;
 * - opsets outside the range the workers' onnxruntime runs;
 * - graphs larger than the limits (nodes, counted through subgraphs; the file's size);
 * - inputs with a dynamic dimension the upload gave no bound for: a worker must know the
 *   largest input it may be sent, so every `dim_param` needs a bound.
 *
 * The signature it returns (inputs with their bounded shapes, outputs, opset, operator
 * counts) is what the catalog stores; running it once in a sandbox is the next check.
 */
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;
type IGraphProto = InstanceType<typeof onnx.GraphProto>;
type ITensorProto = onnxProto.onnx.ITensorProto;
type IValueInfoProto = onnxProto.onnx.IValueInfoProto;

export const ONNX_LIMITS = {
  maxBytes: 200 * 1024 * 1024,
  maxNodes: 5_000,
  /** ai.onnx opsets the workers' onnxruntime (1.30) runs. */
  minOpset: 7,
  maxOpset: 21,
  maxInputs: 16,
  maxOutputs: 16,
  maxRank: 8,
  /** The largest bound a dynamic dimension may be given. */
  maxDimBound: 1_000_000,
  /** Elements one input may hold at its bounds. */
  maxInputElements: 64 * 1024 * 1024,
} as const;

const STANDARD_DOMAINS = new Set(["", "ai.onnx", "ai.onnx.ml"]);

/** ONNX TensorProto.DataType numbers of the element types inputs and outputs may have. */
const ELEM_TYPES: Record<number, string> = {
  1: "float32",
  2: "uint8",
  3: "int8",
  4: "uint16",
  5: "int16",
  6: "int32",
  7: "int64",
  8: "string",
  9: "bool",
  10: "float16",
  11: "float64",
  12: "uint32",
  13: "uint64",
};

export class OnnxValidationError extends Error {
  constructor(
    message: string,
    /** A size limit was the reason (the upload answers 413). */
    readonly tooLarge = false,
  ) {
    super(message);
    this.name = "OnnxValidationError";
  }
}

export interface TensorSignature {
  name: string;
  elemType: string;
  /** Each dimension's size; a dynamic one is its bound, named in `dynamic`. */
  shape: number[];
  /** Dynamic dimensions: index → the name the model gives it. */
  dynamic: Record<number, string>;
}

export interface OnnxSignature {
  opset: number;
  nodes: number;
  /** How many nodes of each operator (subgraphs included). */
  operators: Record<string, number>;
  inputs: TensorSignature[];
  outputs: Omit<TensorSignature, "shape" | "dynamic">[];
}

const num = (v: unknown): number => (typeof v === "number" ? v : Number(v ?? 0));

function assertNoExternalData(t: ITensorProto | null | undefined, where: string): void {
  if (!t) return;
  const location = t.externalData?.find((e) => e.key === "location")?.value;
  if (num(t.dataLocation) === onnx.TensorProto.DataLocation.EXTERNAL || (t.externalData?.length ?? 0) > 0) {
    throw new OnnxValidationError(
      `tensor '${(t.name ?? "").slice(0, 80)}' (${where}) refers to external data${location ? ` at '${location.slice(0, 200)}'` : ""}: upload a single self-contained .onnx file`,
    );
  }
}

/** Walks a graph and its subgraphs: nodes counted, domains and tensors checked. */
function walkGraph(g: IGraphProto | onnxProto.onnx.IGraphProto, where: string, ops: Map<string, number>, depth: number): number {
  if (depth > 16) throw new OnnxValidationError("subgraphs are nested more than 16 deep");
  let nodes = 0;
  for (const t of g.initializer ?? []) assertNoExternalData(t, `${where} initializer`);
  for (const s of g.sparseInitializer ?? []) {
    assertNoExternalData(s.values, `${where} sparse initializer`);
    assertNoExternalData(s.indices, `${where} sparse initializer`);
  }
  for (const n of g.node ?? []) {
    nodes++;
    const domain = n.domain ?? "";
    if (!STANDARD_DOMAINS.has(domain)) {
      throw new OnnxValidationError(
        `operator ${(n.opType ?? "?").slice(0, 60)} is in the custom domain '${domain.slice(0, 80)}': only the standard ONNX operators (ai.onnx, ai.onnx.ml) run on the network`,
      );
    }
    const op = (n.opType ?? "").slice(0, 60);
    ops.set(op, (ops.get(op) ?? 0) + 1);
    if (ops.size > 500) throw new OnnxValidationError("the graph uses more than 500 kinds of operator");
    for (const a of n.attribute ?? []) {
      assertNoExternalData(a.t, `${where} attribute ${a.name ?? ""}`);
      for (const t of a.tensors ?? []) assertNoExternalData(t, `${where} attribute ${a.name ?? ""}`);
      if (a.g) nodes += walkGraph(a.g, `${where}/${op}.${a.name ?? ""}`, ops, depth + 1);
      for (const sub of a.graphs ?? []) nodes += walkGraph(sub, `${where}/${op}.${a.name ?? ""}`, ops, depth + 1);
    }
    if (nodes > ONNX_LIMITS.maxNodes) {
      throw new OnnxValidationError(`the graph has more than ${ONNX_LIMITS.maxNodes} nodes`, true);
    }
  }
  return nodes;
}

function tensorType(v: IValueInfoProto, role: "input" | "output") {
  const name = (v.name ?? "").slice(0, 100);
  const t = v.type?.tensorType;
  if (!t) throw new OnnxValidationError(`${role} '${name}' is not a tensor (sequences and maps are not supported)`);
  const elemType = ELEM_TYPES[num(t.elemType)];
  if (!elemType) throw new OnnxValidationError(`${role} '${name}' has element type ${num(t.elemType)}, which is not supported`);
  return { name, elemType, dims: t.shape?.dim ?? null };
}

/**
 * Checks the bytes and returns the model's signature. `dimBounds` gives the largest size of
 * each dynamic dimension, by its name (`dim_param`), or by `input:index` for one without a name.
 */
export function validateOnnx(bytes: Uint8Array, opts: { dimBounds?: Record<string, number> } = {}): OnnxSignature {
  if (bytes.byteLength > ONNX_LIMITS.maxBytes) {
    throw new OnnxValidationError(`the model is ${bytes.byteLength} bytes: at most ${ONNX_LIMITS.maxBytes}`, true);
  }
  let model: InstanceType<typeof onnx.ModelProto>;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch {
    throw new OnnxValidationError("the file is not an ONNX model: it does not parse as a ModelProto (truncated, or another format)");
  }
  const graph = model.graph;
  if (!graph || (graph.node?.length ?? 0) === 0) throw new OnnxValidationError("the file is not an ONNX model: it has no graph");

  const opsets = model.opsetImport ?? [];
  let opset = 0;
  for (const o of opsets) {
    const domain = o.domain ?? "";
    if (!STANDARD_DOMAINS.has(domain)) {
      throw new OnnxValidationError(
        `the model imports the custom operator domain '${domain.slice(0, 80)}': only ai.onnx and ai.onnx.ml run on the network`,
      );
    }
    if (domain === "" || domain === "ai.onnx") opset = num(o.version);
  }
  if (opset < ONNX_LIMITS.minOpset || opset > ONNX_LIMITS.maxOpset) {
    throw new OnnxValidationError(
      `the model's opset is ${opset}: the network runs opsets ${ONNX_LIMITS.minOpset} to ${ONNX_LIMITS.maxOpset}`,
    );
  }
  if ((model.functions?.length ?? 0) > 0) {
    throw new OnnxValidationError("the model defines local functions: inline them (onnx.inliner) and upload again");
  }
  if ((model.trainingInfo?.length ?? 0) > 0) throw new OnnxValidationError("training graphs are not supported: export the inference graph");

  const operators = new Map<string, number>();
  const nodes = walkGraph(graph, "graph", operators, 0);

  const initializers = new Set((graph.initializer ?? []).map((t) => t.name ?? ""));
  const graphInputs = (graph.input ?? []).filter((v) => !initializers.has(v.name ?? ""));
  if (graphInputs.length === 0) throw new OnnxValidationError("the model has no inputs");
  if (graphInputs.length > ONNX_LIMITS.maxInputs) throw new OnnxValidationError(`the model has more than ${ONNX_LIMITS.maxInputs} inputs`);
  const outputs = graph.output ?? [];
  if (outputs.length === 0) throw new OnnxValidationError("the model has no outputs");
  if (outputs.length > ONNX_LIMITS.maxOutputs) throw new OnnxValidationError(`the model has more than ${ONNX_LIMITS.maxOutputs} outputs`);

  const bounds = opts.dimBounds ?? {};
  const inputs = graphInputs.map((v): TensorSignature => {
    const { name, elemType, dims } = tensorType(v, "input");
    if (dims === null) throw new OnnxValidationError(`input '${name}' has no shape: its rank must be known`);
    if (dims.length > ONNX_LIMITS.maxRank)
      throw new OnnxValidationError(`input '${name}' has rank ${dims.length}: at most ${ONNX_LIMITS.maxRank}`);
    const dynamic: Record<number, string> = {};
    const shape = dims.map((d, i) => {
      const fixed = num(d.dimValue);
      if (fixed > 0) return fixed;
      const key = d.dimParam || `${name}:${i}`;
      const bound = bounds[key];
      if (bound === undefined) {
        throw new OnnxValidationError(
          `input '${name}' dimension ${i} ('${key.slice(0, 60)}') is dynamic with no bound: give dimBounds['${key.slice(0, 60)}']`,
        );
      }
      if (!Number.isInteger(bound) || bound < 1 || bound > ONNX_LIMITS.maxDimBound) {
        throw new OnnxValidationError(`the bound for '${key.slice(0, 60)}' must be an integer from 1 to ${ONNX_LIMITS.maxDimBound}`);
      }
      dynamic[i] = key;
      return bound;
    });
    const elements = shape.reduce((a, b) => a * b, 1);
    if (elements > ONNX_LIMITS.maxInputElements) {
      throw new OnnxValidationError(
        `input '${name}' holds up to ${elements} elements at its bounds: at most ${ONNX_LIMITS.maxInputElements}`,
        true,
      );
    }
    return { name, elemType, shape, dynamic };
  });
  return {
    opset,
    nodes,
    operators: Object.fromEntries([...operators].sort(([a], [b]) => a.localeCompare(b))),
    inputs,
    outputs: outputs.map((v) => {
      const { name, elemType } = tensorType(v, "output");
      return { name, elemType };
    }),
  };
}
