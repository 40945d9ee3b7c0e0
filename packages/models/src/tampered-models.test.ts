import { createHash } from "node:crypto";
import { compareJobOutputs } from "@proofgrid/por";
import onnxProto from "onnx-proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { challengeInput, outputKindForSlug } from "./challenge-input.ts";
import { buildEncoderBytes, ENCODER_SHAPE } from "./encoder/build-encoder.ts";
import { modelFiles, modelId } from "./model-files.ts";
import type { ModelInput, ModelSlug } from "./model-schemas.ts";
import { createPipeline, createPipelineFromFiles } from "./runtime/create-pipeline.ts";
import type { Pipeline } from "./runtime/pipeline.ts";
import { CHEAPER_ENCODER_LAYERS, cheaperModelFiles, perturbedModelFiles, perturbOnnxBytes } from "./tampered-models.ts";

const { onnx } = onnxProto;
const { FLOAT, INT64 } = onnx.TensorProto.DataType;
type TensorProto = InstanceType<typeof onnx.TensorProto>;
type GraphProto = InstanceType<typeof onnx.GraphProto>;

const floatsOf = (t: TensorProto): number[] =>
  t.rawData && t.rawData.length > 0 ? Array.from(new Float32Array(Uint8Array.from(t.rawData).buffer)) : [...(t.floatData ?? [])];
const raw = (values: number[]) => new Uint8Array(Float32Array.from(values).buffer);

/** A small graph with every place a weight can hide: raw_data and float_data initializers,
 * Constant nodes, an If branch, and the tensors that must stay as they are. */
function tinyModel(): Uint8Array {
  const constant = (output: string, t: TensorProto) =>
    onnx.NodeProto.create({
      opType: "Constant",
      output: [output],
      attribute: [onnx.AttributeProto.create({ name: "value", t, type: onnx.AttributeProto.AttributeType.TENSOR })],
    });
  const branch = (name: string) =>
    onnx.GraphProto.create({
      name,
      node: [constant(`${name}.w`, onnx.TensorProto.create({ dims: [3], dataType: FLOAT, rawData: raw([1, 2, 3]) }))],
      output: [onnx.ValueInfoProto.create({ name: `${name}.w` })],
    });
  const graph = onnx.GraphProto.create({
    name: "tiny",
    initializer: [
      onnx.TensorProto.create({ name: "raw", dims: [2, 2], dataType: FLOAT, rawData: raw([1, -2, 3, -4]) }),
      onnx.TensorProto.create({ name: "floats", dims: [3], dataType: FLOAT, floatData: [0.5, 0.25, -8] }),
      onnx.TensorProto.create({ name: "scalar", dims: [], dataType: FLOAT, rawData: raw([2]) }),
      onnx.TensorProto.create({ name: "ints", dims: [2], dataType: INT64, rawData: new Uint8Array(BigInt64Array.of(7n, 9n).buffer) }),
    ],
    node: [
      constant("conv.w", onnx.TensorProto.create({ dims: [4], dataType: FLOAT, rawData: raw([10, 20, 30, 40]) })),
      constant("scales", onnx.TensorProto.create({ dims: [4], dataType: FLOAT, rawData: raw([1, 1, 2, 2]) })),
      onnx.NodeProto.create({ opType: "Resize", input: ["x", "", "scales"], output: ["y"] }),
      onnx.NodeProto.create({
        opType: "If",
        input: ["cond"],
        output: ["z"],
        attribute: [
          onnx.AttributeProto.create({ name: "then_branch", g: branch("then"), type: onnx.AttributeProto.AttributeType.GRAPH }),
          onnx.AttributeProto.create({ name: "else_branch", g: branch("else"), type: onnx.AttributeProto.AttributeType.GRAPH }),
        ],
      }),
    ],
  });
  return onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 8, graph })).finish();
}

/** Every float tensor of the model by a readable name, in graph order. */
function floatTensors(bytes: Uint8Array): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const walk = (g: GraphProto, prefix: string) => {
    for (const t of g.initializer ?? []) if (t.dataType === FLOAT) out.set(`${prefix}${t.name}`, floatsOf(t as TensorProto));
    for (const node of g.node ?? []) {
      for (const a of node.attribute ?? []) {
        if (a.t && a.t.dataType === FLOAT) out.set(`${prefix}${node.output?.[0]}`, floatsOf(a.t as TensorProto));
        if (a.g) walk(a.g as GraphProto, `${prefix}${a.g.name}/`);
      }
    }
  };
  walk(onnx.ModelProto.decode(bytes).graph as GraphProto, "");
  return out;
}

describe("perturbOnnxBytes", () => {
  it("scales every weight by 1 ± relative, wherever it is stored, and nothing else", () => {
    const before = floatTensors(tinyModel());
    const { bytes, stats } = perturbOnnxBytes(tinyModel(), { relative: 0.01, seed: "a" });
    const after = floatTensors(bytes);
    expect(stats).toEqual({ tensors: 5, elements: 4 + 3 + 4 + 3 + 3, skipped: 2 });
    for (const name of ["raw", "floats", "conv.w", "then/then.w", "else/else.w"]) {
      const was = before.get(name) ?? [];
      const now = after.get(name) ?? [];
      expect(now, name).toHaveLength(was.length);
      was.forEach((w, i) => {
        expect(now[i], name).not.toBe(w);
        expect(Math.abs((now[i] as number) / w - 1), name).toBeLessThanOrEqual(0.01 + 1e-7);
      });
    }
    // Scalars (hyper-parameters) and Resize scales (sizes) are left alone; int64 is not a weight.
    expect(after.get("scalar")).toEqual([2]);
    expect(after.get("scales")).toEqual([1, 1, 2, 2]);
    const ints = onnx.ModelProto.decode(bytes).graph?.initializer?.find((t) => t.name === "ints");
    expect(Array.from(new BigInt64Array(Uint8Array.from(ints?.rawData ?? []).buffer))).toEqual([7n, 9n]);
  });

  it("is a pure function of (bytes, relative, seed)", () => {
    const a = perturbOnnxBytes(tinyModel(), { relative: 0.01, seed: "a" }).bytes;
    expect(perturbOnnxBytes(tinyModel(), { relative: 0.01, seed: "a" }).bytes).toEqual(a);
    expect(perturbOnnxBytes(tinyModel(), { relative: 0.01, seed: "b" }).bytes).not.toEqual(a);
    expect(perturbOnnxBytes(tinyModel(), { relative: 0.02, seed: "a" }).bytes).not.toEqual(a);
  });

  it("refuses a relative size outside (0, 1) and an empty seed", () => {
    for (const relative of [0, -0.01, 1, Number.NaN]) {
      expect(() => perturbOnnxBytes(tinyModel(), { relative, seed: "a" })).toThrow(RangeError);
    }
    expect(() => perturbOnnxBytes(tinyModel(), { relative: 0.01, seed: "" })).toThrow(RangeError);
  });
});

/** sha256 of each initializer's bytes, by name: comparing 22 M floats as arrays takes 20 s. */
function initializerDigests(bytes: Uint8Array): Map<string, string> {
  const graph = onnx.ModelProto.decode(bytes).graph;
  return new Map(
    (graph?.initializer ?? []).map((t) => [
      t.name ?? "",
      createHash("sha256")
        .update(t.rawData ?? new Uint8Array())
        .digest("hex"),
    ]),
  );
}

describe("cheaper encoder", () => {
  it("is the published encoder's embeddings and first layers, with 4 layers fewer", () => {
    const full = initializerDigests(buildEncoderBytes());
    const cheap = initializerDigests(buildEncoderBytes({ layers: CHEAPER_ENCODER_LAYERS }));
    const layerOf = (name: string) => /^layer(\d+)\./.exec(name)?.[1];
    for (const [name, values] of cheap) expect(values, name).toEqual(full.get(name));
    expect([...full.keys()].filter((name) => Number(layerOf(name) ?? -1) >= CHEAPER_ENCODER_LAYERS).every((name) => !cheap.has(name))).toBe(
      true,
    );
    expect(new Set([...cheap.keys()].map(layerOf).filter(Boolean))).toEqual(new Set(["0", "1"]));
    expect(() => buildEncoderBytes({ layers: 0 })).toThrow(RangeError);
    expect(() => buildEncoderBytes({ layers: ENCODER_SHAPE.layers + 1 })).toThrow(RangeError);
  });

  it("exists only for the encoder", async () => {
    expect(await cheaperModelFiles("ocr-ppocr-v4")).toBeNull();
    expect(await cheaperModelFiles("vad-silero-v5")).toBeNull();
    const files = await cheaperModelFiles("encoder-synthetic-minilm");
    expect(files?.onnx).toHaveLength(1);
    expect(files?.assets).toEqual((await modelFiles("encoder-synthetic-minilm")).assets);
  });
});

describe("createPipelineFromFiles", () => {
  it("with the catalog's files is createPipeline, id included", async () => {
    const direct = await createPipeline("vad-silero-v5");
    const fromFiles = await createPipelineFromFiles("vad-silero-v5", await modelFiles("vad-silero-v5"));
    try {
      expect(fromFiles.id).toBe(await modelId("vad-silero-v5"));
      expect(fromFiles.id).toBe(direct.id);
      const { input } = await challengeInput("vad-silero-v5", "from-files-0123456789");
      expect(await fromFiles.run(input)).toEqual(await direct.run(input));
    } finally {
      await direct.dispose();
      await fromFiles.dispose();
    }
  });

  it("refuses an unknown model and a missing file", async () => {
    await expect(createPipelineFromFiles("gpt-5", { onnx: [], assets: {} })).rejects.toThrow(/no built-in model gpt-5/);
    await expect(createPipelineFromFiles("vad-silero-v5", { onnx: [], assets: {} })).rejects.toThrow(
      /needs 1 ONNX file\(s\) in pipeline order, got 0/,
    );
  });
});

/**
 * The dishonest variants run through the real pipelines, compared with an honest run on the
 * same challenges. Deterministic: fixed challenge seeds, fixed perturbation seed.
 */
describe("tampered models are caught by compareJobOutputs", () => {
  const PERTURBATION = { relative: 0.01, seed: "tampered-models-test" };
  const pipelines: Pipeline[] = [];
  afterAll(async () => {
    for (const p of pipelines) await p.dispose();
  });
  async function load<S extends ModelSlug>(make: () => Promise<Pipeline<S>>): Promise<Pipeline<S>> {
    const p = await make();
    pipelines.push(p as unknown as Pipeline);
    return p;
  }

  /** How many of `count` challenges the dishonest pipeline is caught on, after checking an honest second run agrees on every one. */
  async function caught<S extends ModelSlug>(slug: S, dishonest: Pipeline<S>, count: number): Promise<number> {
    const honest = await load(() => createPipeline(slug, { intraOpNumThreads: 1, graphOptimizationLevel: "all" }));
    const otherHonest = await load(() => createPipeline(slug, { intraOpNumThreads: 2, graphOptimizationLevel: "disabled" }));
    const kind = outputKindForSlug(slug);
    let mismatches = 0;
    for (let i = 0; i < count; i++) {
      const { input } = await challengeInput(slug, `tampered-models-test-${i}`);
      const expected = await honest.run(input as ModelInput<S>);
      expect(compareJobOutputs(kind, expected, await otherHonest.run(input as ModelInput<S>))).toMatchObject({ match: true });
      if (!compareJobOutputs(kind, expected, await dishonest.run(input as ModelInput<S>)).match) mismatches++;
    }
    return mismatches;
  }

  let perturbedEncoder: Pipeline<"encoder-synthetic-minilm">;
  let cheaperEncoder: Pipeline<"encoder-synthetic-minilm">;
  beforeAll(async () => {
    perturbedEncoder = await load(async () =>
      createPipelineFromFiles("encoder-synthetic-minilm", await perturbedModelFiles("encoder-synthetic-minilm", PERTURBATION)),
    );
    const cheaper = await cheaperModelFiles("encoder-synthetic-minilm");
    if (!cheaper) throw new Error("no cheaper encoder");
    cheaperEncoder = await load(() => createPipelineFromFiles("encoder-synthetic-minilm", cheaper));
  });

  it("the 1 % perturbed encoder, on every challenge", async () => {
    expect(perturbedEncoder.id).not.toBe(await modelId("encoder-synthetic-minilm"));
    expect(await caught("encoder-synthetic-minilm", perturbedEncoder, 5)).toBe(5);
  });

  it("the 2-layer encoder, on every challenge", async () => {
    expect(await caught("encoder-synthetic-minilm", cheaperEncoder, 5)).toBe(5);
  });

  it("the 1 % perturbed OCR, on most challenges", async () => {
    const ocr = await load(async () => createPipelineFromFiles("ocr-ppocr-v4", await perturbedModelFiles("ocr-ppocr-v4", PERTURBATION)));
    expect(ocr.id).not.toBe(await modelId("ocr-ppocr-v4"));
    // 5 of 5 on the development machine, all "lines_drifted"; text and boxes alone caught 25 of 300 (see compare-job-outputs.ts).
    expect(await caught("ocr-ppocr-v4", ocr, 5)).toBeGreaterThanOrEqual(4);
  });

  it("the 1 % perturbed VAD, on some challenges: its output (segments in 32 ms windows) hides most of the change", async () => {
    const vad = await load(async () => createPipelineFromFiles("vad-silero-v5", await perturbedModelFiles("vad-silero-v5", PERTURBATION)));
    expect(vad.id).not.toBe(await modelId("vad-silero-v5"));
    // 3 of 40 on the development machine: a 1 % change moves a boundary by one window on ~10 % of challenges.
    expect(await caught("vad-silero-v5", vad, 40)).toBeGreaterThanOrEqual(1);
  });
});
