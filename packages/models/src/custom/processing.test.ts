import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import { encodeText } from "../encoder/tokenizer.ts";
import { ModelInputError } from "../model-input-error.ts";
import { createCustomPipeline } from "./custom-pipeline.ts";
import { preprocessInput } from "./preprocess-input.ts";
import { PROCESSING_LIMITS, postprocessOutput, type Processing, processingProblem } from "./processing.ts";
import { affineModel, argMaxModel, COLOUR_LABELS, colourModel, tokenModel } from "./testing/build-onnx.ts";
import type { TensorJson } from "./tensor-check.ts";
import { validateOnnx } from "./validate-onnx.ts";

// The processing menu of uploaded models (issue 17) on real images decoded by sharp, the
// catalog's real tokenizer and real models run by onnxruntime: an image classifier fed a
// photo names its colour, a text model receives exactly the tokenizer's ids.

const dir = mkdtempSync(join(tmpdir(), "proofgrid-processing-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function stored(bytes: Uint8Array, dimBounds: Record<string, number> = {}) {
  const id = createHash("sha256").update(bytes).digest("hex");
  const path = join(dir, `${id}.onnx`);
  writeFileSync(path, bytes);
  return { path, id, signature: validateOnnx(bytes, { dimBounds }) };
}

const png = async (rgb: [number, number, number], width = 40, height = 30) =>
  (
    await sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
      .png()
      .toBuffer()
  ).toString("base64");

const processing = (p: Partial<Processing>): Processing => ({ preprocessing: "raw", postprocessing: "raw", options: {}, ...p });

describe("processingProblem: the menu is checked against the model at registration", () => {
  const colour = validateOnnx(colourModel(), { dimBounds: { batch: 4 } });
  const tokens = validateOnnx(tokenModel(), { dimBounds: { seq: 32 } });
  const affine = validateOnnx(affineModel(), { dimBounds: { n: 8 } });

  it("accepts what fits: image and labels on an image classifier, text on a token model", () => {
    expect(
      processingProblem(colour, processing({ preprocessing: "image", postprocessing: "labels", options: { labels: ["a", "b", "c"] } })),
    ).toBeNull();
    expect(
      processingProblem(
        colour,
        processing({ preprocessing: "image", postprocessing: "softmax", options: { mean: [0, 0, 0], std: [1, 1, 1] } }),
      ),
    ).toBeNull();
    expect(processingProblem(tokens, processing({ preprocessing: "text" }))).toBeNull();
  });

  it("refuses what does not, saying why", () => {
    expect(processingProblem(affine, processing({ preprocessing: "image" }))).toMatch(/float32 \[1, C, H, W\]; it has 2 axes/);
    expect(processingProblem(colour, processing({ preprocessing: "text" }))).toMatch(/int64 or int32/);
    expect(processingProblem(colour, processing({ postprocessing: "labels" }))).toMatch(/needs labels/);
    expect(processingProblem(colour, processing({ postprocessing: "labels", options: { labels: ["ok", ""] } }))).toMatch(/label 1/);
    expect(processingProblem(validateOnnx(argMaxModel(), { dimBounds: { n: 4 } }), processing({ postprocessing: "softmax" }))).toMatch(
      /float32 or float64, and 'label' is int64/,
    );
    expect(processingProblem(colour, processing({ options: { mean: [0, 0, 0] } }))).toMatch(/options of the image preprocessing/);
  });
});

describe("image → normalised NCHW, run, labels", () => {
  it("classifies a red, a green and a blue picture by their colour, through onnxruntime", async () => {
    const model = stored(colourModel(), { batch: 4 });
    const pipeline = await createCustomPipeline({ ...model, sessionOptions: { intraOpNumThreads: 1 } });
    const menu = processing({ preprocessing: "image", postprocessing: "labels", options: { labels: [...COLOUR_LABELS] } });
    try {
      for (const [rgb, want] of [
        [[230, 20, 10], "red"],
        [[10, 200, 30], "green"],
        [[0, 40, 250], "blue"],
      ] as const) {
        const { input, adjustments } = await preprocessInput(model.signature, menu, { image: await png([...rgb]) });
        expect(adjustments[0]).toMatch(/image 40×30 scaled to 8×8 and written as 'pixel_values' float32 \[1, 3, 8, 8\]/);
        const tensor = (input as { inputs: TensorJson[] }).inputs[0] as TensorJson;
        expect(tensor).toMatchObject({ name: "pixel_values", datatype: "FP32", shape: [1, 3, 8, 8] });
        // Channel 0's first pixel, with ImageNet's statistics (float32, to its shortest decimal).
        expect(tensor.data[0]).toBeCloseTo((rgb[0] / 255 - 0.485) / 0.229, 5);
        const output = await pipeline.run(input as { inputs: unknown });
        const result = postprocessOutput(menu, output);
        expect(result).toMatchObject({ top: [[{ label: want }, {}, {}]] });
        const top = (result as { top: { score: number }[][] }).top[0] ?? [];
        expect(top.reduce((s, t) => s + t.score, 0)).toBeCloseTo(1, 5);
      }
    } finally {
      await pipeline.dispose();
    }
  });

  it("uses the owner's mean and std, and a grey input for a one-channel model", async () => {
    const sig = { inputs: [{ name: "x", elemType: "float32", shape: [1, 1, 4, 4], dynamic: {} }] };
    const { input } = await preprocessInput(sig, processing({ preprocessing: "image", options: { mean: [0.5], std: [0.5] } }), {
      image: await png([255, 255, 255], 16, 16),
    });
    const t = (input as { inputs: TensorJson[] }).inputs[0] as TensorJson;
    expect(t.shape).toEqual([1, 1, 4, 4]);
    expect(t.data).toEqual(new Array(16).fill(1));
  });

  it("refuses what is not a picture with the reason, and passes tensors a client made itself", async () => {
    const sig = validateOnnx(colourModel(), { dimBounds: { batch: 4 } });
    const menu = processing({ preprocessing: "image" });
    await expect(preprocessInput(sig, menu, { image: Buffer.from("not an image").toString("base64") })).rejects.toThrow(ModelInputError);
    await expect(preprocessInput(sig, menu, { text: "hello" })).rejects.toThrow(/takes \{image/);
    const tensors = { inputs: [{ name: "pixel_values", datatype: "FP32", shape: [1, 3, 8, 8], data: new Array(192).fill(0) }] };
    expect(await preprocessInput(sig, menu, tensors)).toEqual({ input: tensors, adjustments: [] });
  });
});

describe("text → tokens", () => {
  it("feeds the catalog tokenizer's ids and their mask, which the model receives exactly", async () => {
    const model = stored(tokenModel(), { seq: 32 });
    const pipeline = await createCustomPipeline({ ...model, sessionOptions: { intraOpNumThreads: 1 } });
    try {
      const text = "Proofgrid verifies every job. Même les accents!";
      const { input } = await preprocessInput(model.signature, processing({ preprocessing: "text" }), { text });
      const ids = encodeText(text, 32);
      const { outputs } = await pipeline.run(input as { inputs: unknown });
      expect(outputs[0]).toMatchObject({ name: "ids", shape: [1, ids.length], data: ids });
      expect(outputs[1]).toMatchObject({ name: "tokens", data: [ids.length] });
    } finally {
      await pipeline.dispose();
    }
  });

  it("pads to a fixed token axis with a zero mask, and stops at its bound", async () => {
    const sig = {
      inputs: [
        { name: "input_ids", elemType: "int32", shape: [1, 6], dynamic: {} },
        { name: "attention_mask", elemType: "int32", shape: [1, 6], dynamic: {} },
        { name: "token_type_ids", elemType: "int32", shape: [1, 6], dynamic: {} },
      ],
    };
    const short = await preprocessInput(sig, processing({ preprocessing: "text" }), { text: "hi" });
    const [ids, mask, types] = (short.input as { inputs: TensorJson[] }).inputs;
    expect(ids).toMatchObject({ datatype: "INT32", shape: [1, 6], data: [...encodeText("hi", 6), 0, 0, 0] });
    expect(mask?.data).toEqual([1, 1, 1, 0, 0, 0]);
    expect(types?.data).toEqual([0, 0, 0, 0, 0, 0]);
    const long = await preprocessInput(sig, processing({ preprocessing: "text" }), { text: "one two three four five six seven" });
    expect((long.input as { inputs: TensorJson[] }).inputs[1]?.data).toEqual([1, 1, 1, 1, 1, 1]);
  });
});

describe("postprocessOutput", () => {
  const out = (data: number[], shape: number[]) => ({ outputs: [{ name: "logits", datatype: "FP32", shape, data }] });

  it("turns scores into probabilities per row, stable for large scores", () => {
    const r = postprocessOutput(processing({ postprocessing: "softmax" }), out([1000, 1000, 0, 0, 0, 0], [2, 3])) as {
      probabilities: number[][];
    };
    expect(r.probabilities).toEqual([
      [0.5, 0.5, 0],
      [0.333333, 0.333333, 0.333333],
    ]);
  });

  it("bounds the work and the answer: rows past PROCESSING_LIMITS.maxResultElements scores are not read", () => {
    const r = postprocessOutput(processing({ postprocessing: "softmax" }), out(new Array(4 * 50_000).fill(0), [4, 50_000])) as {
      probabilities: number[][];
    };
    expect(r.probabilities).toHaveLength(PROCESSING_LIMITS.maxResultElements / 50_000);
  });

  it("names the five most probable classes, ties in index order, and is null for raw", () => {
    const labels = ["a", "b", "c", "d", "e", "f", "g"];
    const r = postprocessOutput(processing({ postprocessing: "labels", options: { labels } }), out([0, 6, 1, 5, 2, 4, 3], [1, 7])) as {
      top: { label: string; index: number }[][];
    };
    expect(r.top[0]?.map((t) => t.label)).toEqual(["b", "d", "f", "g", "e"]);
    expect(postprocessOutput(processing({}), out([1], [1]))).toBeNull();
    // Labels that are not the output's classes name nothing (a worker's [7, 1] for [1, 7]).
    expect(postprocessOutput(processing({ postprocessing: "labels", options: { labels } }), out([0, 6, 1, 5, 2, 4, 3], [7, 1]))).toBeNull();
  });
});
