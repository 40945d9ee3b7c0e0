import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENCODER_SHA256 } from "../encoder/build-encoder.ts";
import { ModelInputError } from "../model-input-error.ts";
import { createPipeline } from "./create-pipeline.ts";
import type { Pipeline } from "./pipeline.ts";

// The encoder is SYNTHETIC (random weights): these tests check shape and determinism,
// never that similar texts have similar vectors.
describe("synthetic encoder pipeline", () => {
  let enc: Pipeline<"encoder-synthetic-minilm">;
  beforeAll(async () => {
    enc = await createPipeline("encoder-synthetic-minilm");
  });
  afterAll(() => enc.dispose());

  it("has the pinned build's sha256 as its id", () => {
    expect(enc.id).toBe(ENCODER_SHA256);
  });

  it("returns one finite 384-dimensional vector per text", async () => {
    const out = await enc.run({ texts: ["hello proofgrid", "something else", "x".repeat(2_000)] });
    expect(out.dim).toBe(384);
    expect(out.vectors).toHaveLength(3);
    for (const v of out.vectors) {
      expect(v).toHaveLength(384);
      expect(v.every(Number.isFinite)).toBe(true);
    }
  });

  it("same text → identical vector (alone or in a batch); different text → different vector", async () => {
    const a = await enc.run({ text: "hello proofgrid" });
    const again = await enc.run({ text: "hello proofgrid" });
    const batch = await enc.run({ texts: ["something else", "hello proofgrid"] });
    expect(again).toEqual(a);
    expect(batch.vectors[1]).toEqual(a.vectors[0]);
    expect(batch.vectors[0]).not.toEqual(a.vectors[0]);
  });

  it("refuses input outside the signature", async () => {
    await expect(enc.run({ texts: Array.from({ length: 33 }, () => "a") })).rejects.toThrow(ModelInputError);
    await expect(enc.run({ wrong: 1 } as never)).rejects.toThrow(ModelInputError);
  });
});

describe("createPipeline", () => {
  it("refuses an unknown model and bad options", async () => {
    await expect(createPipeline("gpt-5")).rejects.toThrow(/no built-in model gpt-5/);
    await expect(createPipeline("vad-silero-v5", { intraOpNumThreads: 0 })).rejects.toThrow(RangeError);
  });

  it("honours options and refuses to run after dispose", async () => {
    const vad = await createPipeline("vad-silero-v5", { intraOpNumThreads: 1, graphOptimizationLevel: "basic" });
    expect(vad.options).toMatchObject({ intraOpNumThreads: 1, graphOptimizationLevel: "basic" });
    await vad.dispose();
    await vad.dispose();
    await expect(vad.run({ audio: "" })).rejects.toThrow(/disposed/);
  });
});
