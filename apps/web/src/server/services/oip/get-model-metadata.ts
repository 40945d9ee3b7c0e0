import { db } from "../../db.ts";
import type { TensorSpec } from "./tensors.ts";
import { customTensorSpecs } from "./custom-oip.ts";
import { resolveOipModel } from "./resolve-oip-model.ts";

export interface ModelMetadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

/** The protocol's model metadata: exactly the tensors infer accepts and returns. */
export async function getModelMetadata(opts: { name: string; version?: string; orgId?: string }): Promise<ModelMetadata> {
  const resolved = await resolveOipModel(opts);
  const { model } = resolved;
  if (resolved.custom) {
    // An uploaded model: the tensors of its signature, as validation recorded them.
    return { name: model.slug, versions: [model.id], platform: "onnxruntime_onnx", ...customTensorSpecs(resolved.custom) };
  }
  const { oip } = resolved;
  return {
    name: model.slug,
    versions: [model.id],
    // Triton's name for ONNX Runtime models (the spec's own list says onnx_onnxv1); every
    // built-in model is ONNX run by onnxruntime-node.
    platform: "onnxruntime_onnx",
    inputs: oip.inputs.map((t) => ({ ...t, shape: [...t.shape] })),
    outputs: oip.outputs.map((t) => ({ ...t, shape: [...t.shape] })),
  };
}

/**
 * Model readiness: a job of it would be placed now, i.e. a worker the indexer places on
 * (online, not paused: db network/placeable-workers.ts) serves it and was not refused
 * admission. (The catalog knowing a model does not make it runnable.)
 */
export async function getModelReady(opts: { name: string; version?: string; orgId?: string }): Promise<{ name: string; ready: boolean }> {
  const { model, custom } = await resolveOipModel(opts);
  // An uploaded model runs on any placeable worker whose operator opted in (ACCEPT_CUSTOM_MODELS).
  const serving = await db().node.count({
    where: {
      role: "worker",
      status: "online",
      admission: { not: "refused" },
      pausedAt: null,
      ...(custom ? { acceptsCustomModels: true } : { models: { has: model.id } }),
    },
  });
  return { name: model.slug, ready: serving > 0 };
}
