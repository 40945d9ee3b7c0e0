import { AppError } from "../../errors.ts";
import { type ResolvedModel, resolveModel } from "../models/resolve-model.ts";
import { type OipModel, oipModelFor } from "./oip-models.ts";

export interface ResolvedOipModel {
  model: ResolvedModel;
  oip: OipModel;
}

/**
 * A catalog model by slug or sha256 id, with its tensor mapping. Its one version is its
 * id (the sha256 its receipts name), so `/versions/{v}` names exactly the weights that run.
 */
export async function resolveOipModel(opts: { name: string; version?: string }): Promise<ResolvedOipModel> {
  let model: ResolvedModel;
  try {
    model = await resolveModel(opts.name);
  } catch (err) {
    if (err instanceof AppError && err.code === "NOT_FOUND") {
      throw new AppError("NOT_FOUND", `unknown model '${opts.name.slice(0, 100)}': list models with GET /v1/models or GET /api/v1/models`);
    }
    throw err;
  }
  if (opts.version !== undefined && opts.version !== model.id) {
    throw new AppError("NOT_FOUND", `model '${model.slug}' has no version '${opts.version.slice(0, 100)}'; its version is ${model.id}`);
  }
  const oip = oipModelFor(model.slug);
  if (!oip)
    throw new AppError("BAD_REQUEST", `model '${model.slug}' is not served over the Open Inference Protocol: use POST /api/v1/jobs`);
  return { model, oip };
}
