/**
 * What one call of a custom model costs (issue 17), in milli-CU, from the cost measured at
 * validation: the sandbox's reference run fed zero inputs at every dynamic dimension's bound,
 * the largest input the model may be sent, and its time became `referenceCostMilliCu`.
 *
 *   cost = max(1, ceil(referenceCostMilliCu × jobElements / referenceElements))
 *
 * where referenceElements is the element count of all inputs at their bounded shapes and
 * jobElements the element count of the job's inputs. A job at the bounds pays the reference
 * cost; a batch of 8 where the bound is 64 pays an eighth. Linear in elements is right for
 * models whose work is per element or per batch row (elementwise layers, MatMul over a batch
 * dimension, convolutions over a spatial one). It undercharges, never overcharges, two kinds:
 * a model whose work grows faster than its input (attention, quadratic in sequence length)
 * pays less than its time for mid-size inputs, and one dominated by a fixed per-call cost
 * pays less for small inputs. No job pays more than the reference at the bounds. A fixed part
 * would need a second measured run at the smallest shapes (the sandbox does not make one yet).
 * At least 1 milli-CU: a job is never free. Only shapes are read: call it on inputs
 * parseInputTensors has checked (names and dims within bounds).
 */
import { elementCount } from "./tensor-check.ts";
import type { TensorSignature } from "./validate-onnx.ts";

export function customJobCostMilliCu(
  signature: { inputs: readonly TensorSignature[] },
  referenceCostMilliCu: number,
  input: { inputs: readonly { name: string; shape: readonly number[] }[] },
): number {
  if (!Number.isFinite(referenceCostMilliCu) || referenceCostMilliCu < 0) {
    throw new RangeError(`referenceCostMilliCu must be a finite non-negative number, got ${referenceCostMilliCu}`);
  }
  const referenceElements = signature.inputs.reduce((sum, t) => sum + elementCount(t.shape), 0);
  if (referenceElements <= 0) throw new RangeError("the signature's inputs hold no elements");
  let jobElements = 0;
  for (const sig of signature.inputs) {
    const t = input.inputs.find((i) => i.name === sig.name);
    if (!t) throw new RangeError(`input '${sig.name}' is missing: check the input first (parseInputTensors)`);
    const n = elementCount(t.shape);
    if (!Number.isSafeInteger(n) || n < 0 || n > elementCount(sig.shape)) {
      throw new RangeError(`input '${sig.name}' has shape [${t.shape.join(", ")}], past its bounds: check the input first`);
    }
    jobElements += n;
  }
  return Math.max(1, Math.ceil((referenceCostMilliCu * jobElements) / referenceElements));
}
