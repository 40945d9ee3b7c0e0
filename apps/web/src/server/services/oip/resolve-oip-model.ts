import { type CustomModelRun, isCustomModelSlug } from "@proofgrid/por";
import { AppError } from "../../errors.ts";
import { loadCustomModelRun } from "../models/custom-model-run.ts";
import { type ResolvedModel, resolveModel } from "../models/resolve-model.ts";
import { type OipModel, oipModelFor } from "./oip-models.ts";

/** A catalog model with its tensor mapping, or an uploaded one (issue 17) with its signature. */
export type ResolvedOipModel =
  | { model: ResolvedModel; oip: OipModel; custom?: undefined }
  | { model: ResolvedModel; oip?: undefined; custom: CustomModelRun };

/**
 * A catalog model by slug or sha256 id, with its tensor mapping; or an uploaded model the
 * caller's organisation may see (its own, or a public one: another's private model is the
 * 404 of a missing one), whose tensors are its signature's. Its one version is its
 * id (the sha256 its receipts name), so `/versions/{v}` names exactly the weights that run.
 */
export async function resolveOipModel(opts: { name: string; version?: string; orgId?: string }): Promise<ResolvedOipModel> {
  let model: ResolvedModel;
  try {
    model = await resolveModel(opts.name, { orgId: opts.orgId });
  } catch (err) {
    if (err instanceof AppError && err.code === "NOT_FOUND") {
      throw new AppError("NOT_FOUND", `unknown model '${opts.name.slice(0, 100)}': list models with GET /v1/models or GET /api/v1/models`);
    }
    throw err;
  }
  if (opts.version !== undefined && opts.version !== model.id) {
    throw new AppError("NOT_FOUND", `model '${model.slug}' has no version '${opts.version.slice(0, 100)}'; its version is ${model.id}`);
  }
  if (isCustomModelSlug(model.slug)) {
    const custom = await loadCustomModelRun(model.id);
    if (!custom) throw new Error(`uploaded model ${model.id} has no run record`);
    return { model, custom };
  }
  const oip = oipModelFor(model.slug);
  if (!oip)
    throw new AppError("BAD_REQUEST", `model '${model.slug}' is not served over the Open Inference Protocol: use POST /api/v1/jobs`);
  return { model, oip };
}
