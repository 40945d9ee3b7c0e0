import { describe, expect, it } from "vitest";
import { parseInputTensors } from "./tensor-check.ts";
import type { TensorSignature } from "./validate-onnx.ts";
import { measureCustomInput, renderCustomChallenge } from "./tensor-traffic.ts";

// A customer job of an uploaded model in numbers, and a challenge rendered from them: the same
// tensors, shapes and datatypes, values of the same law, none of the job's data.

const normal = (i: number) => Math.sin(i * 12.9898) * 0.8 + Math.cos(i * 4.1414) * 0.6;
const job = {
  inputs: [
    { name: "pixels", datatype: "FP32", shape: [2, 64], data: Array.from({ length: 128 }, (_, i) => Math.fround(normal(i))) },
    {
      name: "ids",
      datatype: "INT64",
      shape: [2, 16],
      data: Array.from({ length: 32 }, (_, i) => (i % 16 < 12 ? 1_000 + ((i * 97) % 800) : 0)),
    },
    { name: "mask", datatype: "BOOL", shape: [2, 16], data: Array.from({ length: 32 }, (_, i) => i % 16 < 12) },
    { name: "scale", datatype: "FP32", shape: [1], data: [0.25] },
  ],
};
const signature: TensorSignature[] = [
  { name: "pixels", elemType: "float32", shape: [4, 64], dynamic: { 0: "n" } },
  { name: "ids", elemType: "int64", shape: [4, 16], dynamic: { 0: "n" } },
  { name: "mask", elemType: "bool", shape: [4, 16], dynamic: { 0: "n" } },
  { name: "scale", elemType: "float32", shape: [1], dynamic: {} },
];

describe("custom model traffic", () => {
  it("measures each tensor in numbers only", () => {
    const shape = measureCustomInput(job);
    expect(JSON.stringify(shape)).not.toContain('"data"');
    const [pixels, ids, mask, scale] = shape.tensors;
    expect(pixels).toMatchObject({ name: "pixels", datatype: "FP32", shape: [2, 64], integral: false, float32: true, zeros: 0 });
    expect(pixels?.digits).toBeGreaterThan(6);
    expect(ids).toMatchObject({ datatype: "INT64", integral: true, zeros: 0.25, min: 1_000 });
    expect(mask).toMatchObject({ datatype: "BOOL", zeros: 0.25 });
    expect(scale).toMatchObject({ mean: 0.25, digits: 2, float32: true });
  });

  it("renders a challenge of the job's tensors and law, seeded, that the model's signature accepts", () => {
    const shape = measureCustomInput(job);
    const a = renderCustomChallenge(shape, "seed-1");
    expect(renderCustomChallenge(shape, "seed-1")).toEqual(a);
    expect(renderCustomChallenge(shape, "seed-2")).not.toEqual(a);
    expect(() => parseInputTensors(a.inputs, signature)).not.toThrow();
    expect(a.inputs.map((t) => [t.name, t.datatype, t.shape])).toEqual(job.inputs.map((t) => [t.name, t.datatype, t.shape]));
    const [pixels, ids, mask, scale] = a.inputs;
    const p = pixels?.data as number[];
    expect(p.every((v) => Math.fround(v) === v && v >= (shape.tensors[0]?.min ?? 0) && v <= (shape.tensors[0]?.max ?? 0))).toBe(true);
    const mean = p.reduce((s, v) => s + v, 0) / p.length;
    expect(Math.abs(mean - (shape.tensors[0]?.mean ?? 0))).toBeLessThan(0.3);
    const i = ids?.data as number[];
    expect(i.every((v) => Number.isInteger(v) && (v === 0 || (v >= 1_000 && v <= 1_799)))).toBe(true);
    expect(i.some((v) => v === 0)).toBe(true);
    expect((mask?.data as boolean[]).every((v) => typeof v === "boolean")).toBe(true);
    expect(scale?.data).toEqual([0.25]);
  });

  it("copies how alike neighbouring values are: a picture's challenge is as smooth as the picture, along rows and down columns", () => {
    // A 3×48×64 picture as an image model takes it (NCHW, normalised): smooth shapes and a little sensor noise.
    const h = 48;
    const w = 64;
    const noise = (i: number) => Math.sin(i * 78.233) * 43758.5453 - Math.floor(Math.sin(i * 78.233) * 43758.5453) - 0.5;
    const picture = Array.from({ length: 3 * h * w }, (_, i) => {
      const c = Math.floor(i / (h * w));
      const y = Math.floor((i % (h * w)) / w);
      const x = i % w;
      return Math.fround(Math.sin(x / 9 + c) * 0.9 + Math.cos(y / 7 - c) * 0.7 + noise(i) * 0.1);
    });
    const job = { inputs: [{ name: "image", datatype: "FP32", shape: [1, 3, h, w], data: picture }] };
    const [measured] = measureCustomInput(job).tensors;
    expect(measured?.lagLast).toBeGreaterThan(0.8);
    expect(measured?.lagPrev).toBeGreaterThan(0.8);
    for (const seed of ["a", "b", "c"]) {
      const challenge = renderCustomChallenge(measureCustomInput(job), seed);
      const [again] = measureCustomInput(challenge).tensors;
      // What a cheater could compute from a job it sees: the same neighbour correlations. A smooth
      // picture's own mean and spread wander from picture to picture (few independent regions), so
      // those are only asked to be a plausible picture's: within two spreads, and a spread of the same order.
      expect(Math.abs((again?.lagLast ?? 0) - (measured?.lagLast ?? 0))).toBeLessThan(0.1);
      expect(Math.abs((again?.lagPrev ?? 0) - (measured?.lagPrev ?? 0))).toBeLessThan(0.1);
      const spread = measured?.std ?? 0;
      expect(Math.abs((again?.mean ?? 0) - (measured?.mean ?? 0))).toBeLessThan(2 * spread);
      expect(again?.std).toBeGreaterThan(0.5 * spread);
      expect(again?.std).toBeLessThan(1.6 * spread);
      expect(again?.float32).toBe(true);
    }
  });

  it("keeps independent values independent, and measures no neighbours for token ids", () => {
    const noise = (i: number) => Math.fround(Math.sin(i * 12.9898) * 43758.5453 - Math.floor(Math.sin(i * 12.9898) * 43758.5453));
    const job = {
      inputs: [
        { name: "x", datatype: "FP32", shape: [16, 64], data: Array.from({ length: 1024 }, (_, i) => noise(i)) },
        { name: "ids", datatype: "INT64", shape: [1, 64], data: Array.from({ length: 64 }, (_, i) => 100 + i) },
      ],
    };
    const [x, ids] = measureCustomInput(job).tensors;
    expect(Math.abs(x?.lagLast ?? 1)).toBeLessThan(0.1);
    expect(Math.abs(x?.lagPrev ?? 1)).toBeLessThan(0.1);
    expect(ids).toMatchObject({ lagLast: 0, lagPrev: 0 });
    const [again] = measureCustomInput(renderCustomChallenge(measureCustomInput(job), "s")).tensors;
    expect(Math.abs(again?.lagLast ?? 1)).toBeLessThan(0.15);
  });

  it("renders samples measured before neighbours were (no lag fields) as independent values", () => {
    const shape = measureCustomInput(job);
    for (const t of shape.tensors) {
      delete t.lagLast;
      delete t.lagPrev;
    }
    const out = renderCustomChallenge(shape, "old-sample");
    expect(() => parseInputTensors(out.inputs, signature)).not.toThrow();
  });
});
