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
});
