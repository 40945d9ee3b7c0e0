import { describe, expect, it } from "vitest";
import { customExtras, formatCu, formatTensor, onnxSignature, pricePerJob } from "./model-format";

describe("model-format", () => {
  it("reads an owner and a royalty when the listing carries them, and nothing when it does not", () => {
    expect(customExtras({ visibility: "public" })).toEqual({ owner: null, royalty: null });
    expect(customExtras({ owner: "Mo Vision", royalty: "2500" })).toEqual({ owner: "Mo Vision", royalty: 2500n });
    // Anything but a decimal string of base units is no royalty at all, never a wrong price.
    expect(customExtras({ owner: "", royalty: 12 }).royalty).toBeNull();
    expect(customExtras({ royalty: "-5" }).royalty).toBeNull();
    expect(customExtras({ royalty: "1e6" }).royalty).toBeNull();
  });

  it("prices a job at the base price plus the royalty", () => {
    expect(pricePerJob("50", null)).toBe(50n);
    expect(pricePerJob("50", 2_500n)).toBe(2_550n);
  });

  it("shows an uploaded model's tensors, outputs at the reference run's shapes", () => {
    const sig = onnxSignature({
      format: "onnx",
      inputs: [{ name: "x", elemType: "float32", shape: [8, 4], dynamic: { 0: "batch" } }],
      outputs: [{ name: "y", elemType: "float32" }],
      outputsAtBounds: [{ name: "y", type: "float32", dims: [8, 4] }],
    });
    expect(sig?.inputs.map(formatTensor)).toEqual(["x: float32[batch≤8×4]"]);
    expect(sig?.outputs.map(formatTensor)).toEqual(["y: float32[8×4]"]);
    // A built-in model's JSON Schema signature is not an ONNX one.
    expect(onnxSignature({ input: { $schema: "x" } })).toBeNull();
    expect(onnxSignature(null)).toBeNull();
  });

  it("says costs in CU from milli-CU", () => {
    expect(formatCu(1)).toBe("0.001 CU");
    expect(formatCu(2_500)).toBe("2.5 CU");
  });
});
