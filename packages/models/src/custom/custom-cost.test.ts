import { describe, expect, it } from "vitest";
import { customJobCostMilliCu } from "./custom-cost.ts";
import { affineModel, integerModel } from "./testing/build-onnx.ts";
import { validateOnnx } from "./validate-onnx.ts";

// The cost of a call scales with its input elements against the reference run's, at the bounds.

const affine = validateOnnx(affineModel(), { dimBounds: { n: 64 } }); // x: [≤64, 3], 192 elements at the bound
const ints = validateOnnx(integerModel()); // a, b: [2, 2]; c: [3]: 11 elements, all fixed
const rows = (n: number) => ({ inputs: [{ name: "x", shape: [n, 3] }] });

describe("customJobCostMilliCu", () => {
  it("charges the reference cost at the bounds and scales with the input's elements", () => {
    expect(customJobCostMilliCu(affine, 640, rows(64))).toBe(640);
    expect(customJobCostMilliCu(affine, 640, rows(8))).toBe(80); // 640 × 24 / 192
    expect(customJobCostMilliCu(affine, 640, rows(1))).toBe(10); // 640 × 3 / 192
    // Not a whole number of milli-CU: rounded up.
    expect(customJobCostMilliCu(affine, 100, rows(1))).toBe(2); // ⌈100 × 3 / 192⌉ = ⌈1.5625⌉
  });

  it("is at least 1 milli-CU, even for a model whose reference run cost nothing measurable", () => {
    expect(customJobCostMilliCu(affine, 0, rows(1))).toBe(1);
    expect(customJobCostMilliCu(affine, 5, rows(1))).toBe(1);
  });

  it("sums every input's elements; a model of fixed shapes always costs its reference", () => {
    const input = {
      inputs: [
        { name: "c", shape: [3] },
        { name: "a", shape: [2, 2] },
        { name: "b", shape: [2, 2] },
      ],
    };
    expect(customJobCostMilliCu(ints, 37, input)).toBe(37);
  });

  it("refuses an input it was not meant to price: missing, or past its bounds", () => {
    expect(() => customJobCostMilliCu(affine, 640, { inputs: [] })).toThrow(/input 'x' is missing/);
    expect(() => customJobCostMilliCu(affine, 640, rows(65))).toThrow(/past its bounds/);
    expect(() => customJobCostMilliCu(affine, Number.NaN, rows(1))).toThrow(RangeError);
  });
});
