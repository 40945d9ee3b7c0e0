/**
 * One comparison for every model a check covers (issue 17): a catalog model's outputs by its
 * catalog kind (packages/por compareJobOutputs), an uploaded model's by its tensors
 * (compareCustomOutputs, with the tolerance its determinism flag chooses). The checker daemon
 * and the platform, which recomputes every verdict from the checker's evidence, both call it,
 * so they cannot disagree on which rule applies.
 */
import { compareJobOutputs, isCustomModelSlug } from "@proofgrid/por";
import { getCatalogEntry } from "../catalog.ts";
import { compareCustomOutputs } from "./compare-custom-output.ts";
import type { TensorJson } from "./tensor-check.ts";

export interface ModelOutputComparison {
  match: boolean;
  reason: string;
  metrics: Record<string, number>;
}

export function compareModelOutputs(opts: {
  slug: string;
  /** The output checked; for a custom model, `{outputs: [...]}`. */
  a: unknown;
  /** The reference it is checked against. */
  b: unknown;
  /** Set for an uploaded model: its determinism flag from validation. */
  custom?: { deterministic: boolean };
}): ModelOutputComparison {
  if (!isCustomModelSlug(opts.slug)) {
    const cmp = compareJobOutputs(getCatalogEntry(opts.slug).kind, opts.a, opts.b);
    return { match: cmp.match, reason: cmp.reason, metrics: { ...cmp.metrics } };
  }
  const outputsOf = (v: unknown): unknown => (typeof v === "object" && v !== null ? (v as { outputs?: unknown }).outputs : undefined);
  const cmp = compareCustomOutputs({
    a: outputsOf(opts.a),
    // Malformed on either side is a mismatch inside compareCustomOutputs, never an exception.
    b: outputsOf(opts.b) as readonly TensorJson[],
    deterministic: opts.custom?.deterministic ?? false,
  });
  const metrics: Record<string, number> = {};
  if (cmp.worst && typeof cmp.worst.a === "number" && typeof cmp.worst.b === "number") {
    metrics.worstIndex = cmp.worst.index;
    metrics.worstAbsDiff = Math.abs(cmp.worst.a - cmp.worst.b);
    metrics.allowed = cmp.worst.allowed;
  }
  return { match: cmp.match, reason: cmp.reason, metrics };
}
